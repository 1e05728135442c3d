//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// webDeployment is a Deployment with the given labels (besides app=web)
// and, when replicas > 0, that many replicas.
func webDeployment(ns string, replicas int, labels ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: %s\n  labels:\n    app: web\n", ns)
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		fmt.Fprintf(&b, "    %s: %s\n", k, v)
	}
	b.WriteString("spec:\n")
	if replicas > 0 {
		fmt.Fprintf(&b, "  replicas: %d\n", replicas)
	}
	b.WriteString("  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n" +
		"    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n")
	return b.String()
}

func deploymentLabels(t *testing.T, kc, ns string) map[string]string {
	t.Helper()
	return getObject(t, kc, testcluster.DeploymentsGVR, ns, "web").GetLabels()
}

// Issue 12 B.1: a Deployment label set by client-side kubectl apply, then
// dropped from the manifest, is removed by kapply apply, as kubectl apply
// --server-side removes it; fields of managers not named (a controller's
// annotation, an HPA's replicas through /scale, helm's label) stay.
func TestApplyMigratesClientSideKubectlOwnership(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "migrate-kubectl"
	testcluster.CreateNamespace(t, kc, ns)
	mustKubectl(t, kc, webDeployment(ns, 2, "tier=front"), "apply", "-f", "-")
	helmLabel := []byte(`{"metadata":{"labels":{"chart":"web-1.0"}}}`)
	if _, err := testcluster.Dynamic(t, kc).Resource(testcluster.DeploymentsGVR).Namespace(ns).Patch(context.Background(), "web", types.MergePatchType, helmLabel, metav1.PatchOptions{FieldManager: "helm"}); err != nil {
		t.Fatal(err)
	}
	scaleAs(t, kc, ns, "web", "horizontal-pod-autoscaler", 3)
	manifest := webDeployment(ns, 0) // tier dropped, replicas left to the HPA

	// diff shows what the migration would remove, and that it would happen.
	code, stdout, stderr := kapplyIn(t, kc, manifest, "diff", "-f", "-", "-o", "json")
	if code != exitDiffers {
		t.Fatalf("diff: exit %d, want %d\n%s%s", code, exitDiffers, stdout, stderr)
	}
	var d struct {
		MigratedFrom []string `json:"migratedFrom"`
		Paths        []string `json:"paths"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(stdout, "\n", 2)[0]), &d); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(d.MigratedFrom, []string{"kubectl-client-side-apply"}) || !strings.Contains(strings.Join(d.Paths, " "), "metadata.labels.tier") {
		t.Errorf("diff: migratedFrom %v, paths %v; want kubectl-client-side-apply and metadata.labels.tier", d.MigratedFrom, d.Paths)
	}

	stdout = mustKapply(t, kc, manifest, "apply", "-f", "-")
	if want := "deployment.apps/web -n " + ns + " configured (field ownership migrated from kubectl-client-side-apply)\n"; !strings.HasPrefix(stdout, want) {
		t.Errorf("apply output %q, want it to start with %q", stdout, want)
	}
	live := getObject(t, kc, testcluster.DeploymentsGVR, ns, "web")
	if diff := cmp.Diff(map[string]string{"app": "web", "chart": "web-1.0"}, live.GetLabels()); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if _, ok := live.GetAnnotations()["kubectl.kubernetes.io/last-applied-configuration"]; ok {
		t.Error("the last-applied-configuration annotation is still there: kapply owns it after the migration and its manifest has none")
	}
	if replicas, _, _ := unstructured.NestedInt64(live.Object, "spec", "replicas"); replicas != 3 {
		t.Errorf("replicas %d, want 3: the HPA's, through /scale, are not taken", replicas)
	}
	for _, mf := range live.GetManagedFields() {
		if mf.Manager == "kubectl-client-side-apply" {
			t.Errorf("kubectl-client-side-apply still has an entry: %+v", mf)
		}
	}
	stdout = mustKapply(t, kc, manifest, "apply", "-f", "-")
	if want := "deployment.apps/web -n " + ns + " unchanged\n"; !strings.HasPrefix(stdout, want) {
		t.Errorf("second apply %q, want %q", stdout, want)
	}

	// --migrate-from takes over helm's fields: its label goes too.
	stdout = mustKapply(t, kc, manifest, "apply", "-f", "-", "--migrate-from", "helm", "-o", "json")
	if !strings.Contains(stdout, `"action":"configured"`) || !strings.Contains(stdout, `"migratedFrom":["helm"]`) {
		t.Errorf("apply --migrate-from helm -o json: %s", stdout)
	}
	if diff := cmp.Diff(map[string]string{"app": "web"}, deploymentLabels(t, kc, ns)); diff != "" {
		t.Errorf("labels after --migrate-from helm (-want +got):\n%s", diff)
	}
}

// Issue 12 B.2: kapply's own Update entries (kapply create) and a changed
// field manager (--migrate-from the old one).
func TestApplyMigratesKapplyCreateAndOldFieldManager(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	t.Run("create then apply", func(t *testing.T) {
		ns := "migrate-create"
		testcluster.CreateNamespace(t, kc, ns)
		mustKapply(t, kc, webDeployment(ns, 1, "tier=front"), "create", "-f", "-")
		stdout := mustKapply(t, kc, webDeployment(ns, 1), "apply", "-f", "-")
		if !strings.Contains(stdout, "configured (field ownership migrated from kapply)") {
			t.Errorf("apply output %q, want the migration from kapply's Update entry", stdout)
		}
		if diff := cmp.Diff(map[string]string{"app": "web"}, deploymentLabels(t, kc, ns)); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
	})
	t.Run("renamed field manager", func(t *testing.T) {
		ns := "migrate-renamed"
		testcluster.CreateNamespace(t, kc, ns)
		mustKapply(t, kc, webDeployment(ns, 1, "tier=front"), "apply", "-f", "-", "--field-manager", "deploy-v1")
		// Without --migrate-from the old manager keeps its fields: it may be
		// another pipeline that shares the object on purpose.
		mustKapply(t, kc, webDeployment(ns, 1), "apply", "-f", "-", "--field-manager", "deploy-v2")
		if got := deploymentLabels(t, kc, ns)["tier"]; got != "front" {
			t.Errorf("label tier %q, want it kept: deploy-v1 was not named", got)
		}
		stdout := mustKapply(t, kc, webDeployment(ns, 1), "apply", "-f", "-", "--field-manager", "deploy-v2", "--migrate-from", "deploy-v1")
		if !strings.Contains(stdout, "field ownership migrated from deploy-v1") {
			t.Errorf("apply output %q", stdout)
		}
		if diff := cmp.Diff(map[string]string{"app": "web"}, deploymentLabels(t, kc, ns)); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
	})
}

// A manifest that changes a field kubectl apply (client-side) set, such
// as an image, conflicts with kubectl-client-side-apply in a dry run,
// where the migration that ends the conflict is not stored; diff and
// --dry-run=server show the change as apply will make it. A conflict with
// a manager that is not taken still fails.
func TestDryRunsAfterClientSideKubectlShowTheChange(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "migrate-dry-run"
	testcluster.CreateNamespace(t, kc, ns)
	mustKubectl(t, kc, webDeployment(ns, 1), "apply", "-f", "-")
	changed := strings.Replace(webDeployment(ns, 1), "nginx:1.27", "nginx:1.28", 1)

	code, stdout, stderr := kapplyIn(t, kc, changed, "diff", "-f", "-")
	if code != exitDiffers || !strings.Contains(stdout, "+      - image: nginx:1.28") || strings.Contains(stdout, "-        imagePullPolicy") { // released by the migration, defaulted again
		t.Errorf("diff: exit %d, want %d and the new image\n%s%s", code, exitDiffers, stdout, stderr)
	}
	code, stdout, stderr = kapplyIn(t, kc, changed, "apply", "-f", "-", "--dry-run=server")
	if code != exitOK || !strings.Contains(stdout, "configured (dry run) (field ownership migrated from kubectl-client-side-apply)") {
		t.Errorf("apply --dry-run=server: exit %d\n%s%s", code, stdout, stderr)
	}
	mustKapply(t, kc, changed, "apply", "-f", "-")
	if img := getObject(t, kc, testcluster.DeploymentsGVR, ns, "web").Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"]; img != "nginx:1.28" {
		t.Errorf("image %v after apply, want nginx:1.28", img)
	}

	// Someone else's field: still a conflict, with its hint.
	patch := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.29"}]}}}}`)
	if _, err := testcluster.Dynamic(t, kc).Resource(testcluster.DeploymentsGVR).Namespace(ns).Patch(context.Background(), "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: "ops"}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = kapplyIn(t, kc, changed, "diff", "-f", "-")
	if code != exitNotDiffable || !strings.Contains(stderr, `conflict with "ops"`) {
		t.Errorf("diff over ops' image: exit %d, want %d and the conflict\n%s", code, exitNotDiffable, stderr)
	}
}
