#!/usr/bin/env bash
# kapply's story in four steps, against the demo cluster that `make demo`
# started: usage: demo.sh BIN_DIR KUBECONFIG. Run from the repository root.
set -euo pipefail
bin=$1
export KUBECONFIG=$2
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
cp testdata/demo/app/*.yaml "$app/"
contour=testdata/corpus/04-crds-and-crs/contour-gateway.yaml
set_=(--applyset demo --prune)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# changed hides the objects a run left unchanged, keeping the summary.
changed() { grep -v -E '^[^ ]+( -n [^ ]+)? unchanged$'; }

step "1. Apply a web app (Deployment, Service, Ingress, Secret) and Contour (16 CRDs and custom resources of them, in one file), and wait until everything is ready"
run "$bin/kapply" apply -f "$app" -f "$contour" "${set_[@]}" --wait --timeout 2m

step "2. Change the image and the database password: diff shows the change, the Secret's value masked"
sed -i 's/nginx:1.27/nginx:1.28/' "$app/web.yaml"
sed -i 's/correct-horse-v1/correct-horse-v2/' "$app/secret.yaml"
code=0
run "$bin/kapply" diff -f "$app" -f "$contour" "${set_[@]}" || code=$?
[ "$code" -eq 1 ] || { echo "kapply diff: exit $code, want 1 (differences)" >&2; exit 1; }

step "3. Apply the change: two objects configured, the rest unchanged; wait for the web app's rollout"
run "$bin/kapply" apply -f "$app" -f "$contour" "${set_[@]}" | changed
run "$bin/kapply" wait -f "$app" --timeout 2m

step "4. Remove the Ingress from the input: the ApplySet prunes exactly it"
rm "$app/ingress.yaml"
run "$bin/kapply" apply -f "$app" -f "$contour" "${set_[@]}" | changed

step "5. Status of the web app"
# Exit 1 is status's report that not everything is ready (on a loaded
# machine a kwok node can miss its heartbeat for a while); anything else
# is a failure.
code=0
run "$bin/kapply" status -f "$app" || code=$?
case $code in
0) ;;
1) echo "(not everything is ready at this moment: kapply wait -f testdata/demo/app/web.yaml waits for it)" ;;
*) exit "$code" ;;
esac
printf '\n(the demo ran in %ds)\n' "$SECONDS"
