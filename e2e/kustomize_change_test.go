//go:build e2e

package e2e

import (
	"github.com/kapply-dev/kapply/internal/testfiles"

	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/internal/testcluster"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestKustomizeNewGeneratedConfigMapIsRolledAndTheOldPruned: a changed
// literal gives a new hashed ConfigMap, the Deployment that refers to it is
// configured, and --applyset --prune deletes the old one. The base asks for
// kustomize's origin annotations, which must still never reach the server.
func TestKustomizeNewGeneratedConfigMapIsRolledAndTheOldPruned(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "kustomize-roll"
	testcluster.CreateNamespace(t, kc, ns)
	files := maps.Clone(kustomizeTree)
	files["overlay/kustomization.yaml"] += "buildMetadata: [originAnnotations]\n"
	root := testfiles.Tree(t, files)
	overlay := filepath.Join(root, "overlay")
	args := []string{"apply", "-k", overlay, "-n", ns, "--applyset", "web", "--prune"}

	first, _ := byName(applyJSON(t, kc, "", args...))
	var oldCM string
	for k := range first {
		if strings.HasPrefix(k, "ConfigMap/prod-web-config-") {
			oldCM = strings.TrimPrefix(k, "ConfigMap/")
		}
	}
	if oldCM == "" {
		t.Fatalf("no generated web-config ConfigMap in %v", first)
	}

	base := filepath.Join(root, "base", "kustomization.yaml")
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, []byte(strings.Replace(string(data), "GREETING=hello", "GREETING=bonjour", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	second, objs := byName(applyJSON(t, kc, "", args...))
	var newCM string
	for k, action := range second {
		if strings.HasPrefix(k, "ConfigMap/prod-web-config-") && action == "created" {
			newCM = strings.TrimPrefix(k, "ConfigMap/")
		}
	}
	want := map[string]string{
		"ConfigMap/" + newCM:  "created",
		"ConfigMap/" + oldCM:  "pruned",
		"Deployment/prod-web": "configured",
		"Service/prod-web":    "unchanged",
	}
	for k := range first {
		if strings.HasPrefix(k, "ConfigMap/prod-extra-") {
			want[k] = "unchanged"
		}
	}
	if newCM == "" || newCM == oldCM {
		t.Fatalf("no new web-config ConfigMap: %v", second)
	}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second apply (-want +got):\n%s", diff)
	}
	dep := liveObject(t, kc, jsonObject{Group: "apps", Kind: "Deployment", Namespace: ns, Name: "prod-web"})
	if enc, err := json.Marshal(dep); err != nil || !strings.Contains(string(enc), newCM) {
		t.Errorf("prod-web does not refer to %s", newCM)
	}
	if _, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), oldCM, metav1.GetOptions{}); err == nil {
		t.Errorf("%s is still there after the prune", oldCM)
	}
	for _, o := range objs {
		if o.Name == oldCM {
			continue
		}
		ann, _, _ := unstructured.NestedStringMap(liveObject(t, kc, o), "metadata", "annotations")
		if _, ok := ann["config.kubernetes.io/origin"]; ok {
			t.Errorf("%s/%s carries kustomize's origin annotation", o.Kind, o.Name)
		}
	}
}

// TestKustomizeBrokenWritesNothing: a broken kustomization, a remote base
// or a Helm chart is exit 2, naming the file and the entry, with nothing
// written; an object the server refuses is named by its original file#doc.
func TestKustomizeBrokenWritesNothing(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "kustomize-broken"
	testcluster.CreateNamespace(t, kc, ns)
	tests := []struct {
		name, overlay, want string
	}{
		{"missing resource", "resources:\n  - ../base\n  - extra.yaml\n",
			`overlay/kustomization.yaml#1:3:5: resources[1] "extra.yaml": no such file or directory`},
		{"patch without target", "resources: [../base]\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: ghost}\n",
			`overlay/kustomization.yaml#1:3:12: patches[0].patch: the patch's target Deployment ghost is not among the kustomization's resources`},
		{"unknown field", "resources: [../base]\nnameprefix: x-\nnamSuffix: -y\n",
			`overlay/kustomization.yaml#1:3:1: unknown field "namSuffix" in a kustomization`},
		{"remote base", "resources:\n  - ../base\n  - github.com/example/app//deploy?ref=v1\n",
			`overlay/kustomization.yaml#1:3:5: resources[1] "github.com/example/app//deploy?ref=v1": remote bases and files are not supported: kapply does not fetch anything (no HTTP, no git) to render`},
		{"helm chart", "resources: [../base]\nhelmCharts:\n  - {name: web, repo: https://charts.example}\n",
			`overlay/kustomization.yaml#1:2:1: helmCharts: Helm chart inflation is not supported: kapply does not run programs (helm) to render`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := maps.Clone(kustomizeTree)
			files["overlay/kustomization.yaml"] = tc.overlay
			root := testfiles.Tree(t, files)
			t.Chdir(root)
			code, stdout, stderr := kapplyIn(t, kc, "", "apply", "-k", "overlay", "-n", ns)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant it to contain:\n%s", code, exitUsage, stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
	if state := liveState(t, kc, ns); len(state) != 0 {
		t.Errorf("objects written by refused runs: %v", keys(state))
	}

	// Valid for kustomize, refused by the server (strict field
	// validation): the failure names the original file and document.
	files := maps.Clone(kustomizeTree)
	files["base/app.yaml"] = strings.Replace(files["base/app.yaml"], "  replicas: 1\n", "  replicas: 1\n  replicaz: 2\n", 1)
	root := testfiles.Tree(t, files)
	t.Chdir(root)
	code, stdout, stderr := kapplyIn(t, kc, "", "apply", "-k", "overlay", "-n", ns)
	if code != exitFailed || !strings.Contains(stdout, "deployment.apps/prod-web -n "+ns+" failed: base/app.yaml#1: ") || !strings.Contains(stdout, "replicaz") {
		t.Errorf("server-refused object: exit %d, want %d and a failure naming base/app.yaml#1\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout, stderr)
	}
}

// TestKustomizeGeneratedSecretValuesNeverShow: diff -k masks the values of
// a secretGenerator's Secret like any other Secret's, and the new hashed
// Secret of a changed literal shows as created, its values masked.
func TestKustomizeGeneratedSecretValuesNeverShow(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "kustomize-secret"
	testcluster.CreateNamespace(t, kc, ns)
	files := maps.Clone(kustomizeTree)
	files["overlay/kustomization.yaml"] += "secretGenerator:\n  - name: creds\n    literals: [TOKEN=first-kustomize-token]\n"
	root := testfiles.Tree(t, files)
	overlay := filepath.Join(root, "overlay")
	applyJSON(t, kc, "", "apply", "-k", overlay, "-n", ns)

	kust := filepath.Join(overlay, "kustomization.yaml")
	data, err := os.ReadFile(kust)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kust, []byte(strings.Replace(string(data), "first-kustomize-token", "second-kustomize-token", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := kapplyIn(t, kc, "", "diff", "-k", overlay, "-n", ns)
	if code != 1 {
		t.Fatalf("diff -k: exit %d, want 1 (changes)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, v := range []string{"first-kustomize-token", "second-kustomize-token"} {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
			if strings.Contains(stdout+stderr, form) {
				t.Errorf("diff -k shows a Secret value (%s):\n%s", form, stdout)
			}
		}
	}
	if !strings.Contains(stdout, "secret/prod-creds-") || !strings.Contains(stdout, "TOKEN: '*** (new)'") {
		t.Errorf("diff -k does not show the new Secret with its value masked:\n%s", stdout)
	}
}
