//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

var jobsGVR = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}

func job(ns, image string) string {
	return fmt.Sprintf("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: %s\nspec:\n  template:\n    spec:\n"+
		"      restartPolicy: Never\n      containers:\n      - name: migrate\n        image: %s\n", ns, image)
}

// Issue 12 C: update mode is client-side apply. What others set (an
// HPA's replicas, a controller's annotations, the server's Job selector,
// another manager's labels and finalizers) survives a re-run; a re-run
// with nothing new is unchanged.
func TestUpdateModeLeavesOthersFieldsAlone(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "update-mode-others"
	testcluster.CreateNamespace(t, kc, ns)
	in := bundle(webDeployment(ns, 0), job(ns, "busybox:1.36"))
	stdout := mustKapply(t, kc, in, "apply", "-f", "-", "--mode=update")
	if want := "2 objects: 2 created, 0 configured, 0 unchanged\n"; !strings.HasSuffix(stdout, want) {
		t.Fatalf("first run %q, want %q", stdout, want)
	}
	scaleAs(t, kc, ns, "web", "horizontal-pod-autoscaler", 3)
	theirs := []byte(`{"metadata":{"labels":{"team":"shop"},"annotations":{"owner":"ops"},"finalizers":["example.com/keep"]}}`)
	dyn := testcluster.Dynamic(t, kc)
	if _, err := dyn.Resource(testcluster.DeploymentsGVR).Namespace(ns).Patch(context.Background(), "web", types.MergePatchType, theirs, metav1.PatchOptions{FieldManager: "ops"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // let the namespace go
		_, _ = dyn.Resource(testcluster.DeploymentsGVR).Namespace(ns).Patch(context.Background(), "web", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})

	stdout = mustKapply(t, kc, in, "apply", "-f", "-", "--mode=update")
	if want := "2 objects: 0 created, 0 configured, 2 unchanged\n"; !strings.HasSuffix(stdout, want) {
		t.Errorf("unchanged re-run %q, want %q", stdout, want)
	}
	// A change still leaves their fields alone.
	stdout = mustKapply(t, kc, bundle(webDeployment(ns, 0, "tier=front"), job(ns, "busybox:1.36")), "apply", "-f", "-", "--mode=update")
	if want := "2 objects: 0 created, 1 configured, 1 unchanged\n"; !strings.HasSuffix(stdout, want) {
		t.Errorf("re-run with a label %q, want %q", stdout, want)
	}
	live := getObject(t, kc, testcluster.DeploymentsGVR, ns, "web")
	if replicas, _, _ := unstructured.NestedInt64(live.Object, "spec", "replicas"); replicas != 3 {
		t.Errorf("replicas %d, want the HPA's 3", replicas)
	}
	if diff := cmp.Diff(map[string]string{"app": "web", "team": "shop", "tier": "front"}, live.GetLabels()); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if a := live.GetAnnotations(); a["owner"] != "ops" || a["deployment.kubernetes.io/revision"] == "" {
		t.Errorf("annotations %v: want owner=ops and the controller's revision kept", a)
	}
	if diff := cmp.Diff([]string{"example.com/keep"}, live.GetFinalizers()); diff != "" {
		t.Errorf("finalizers (-want +got):\n%s", diff)
	}
	// A Job re-applied with a change of an immutable field is refused by
	// the server as kubectl apply is, with its message.
	code, stdout, _ := kapplyIn(t, kc, job(ns, "busybox:1.37"), "apply", "-f", "-", "--mode=update")
	if code != exitFailed || !strings.Contains(stdout, "field is immutable") {
		t.Errorf("changed Job template: exit %d, %q; want exit 1 and the server's immutable-field error", code, stdout)
	}
}

// kubectl apply (client-side) and kapply --mode=update take over from
// each other: each removes what the other applied and the manifest
// dropped, from the last-applied-configuration annotation. Built-in kinds
// get a strategic merge patch (a container removed by name), custom
// resources a JSON merge patch.
func TestUpdateModeAndKubectlApplyTakeOverFromEachOther(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "update-mode-kubectl"
	testcluster.CreateNamespace(t, kc, ns)
	withSidecar := strings.Replace(webDeployment(ns, 1, "tier=front"), "        image: nginx:1.27\n", "        image: nginx:1.27\n      - name: sidecar\n        image: envoy:1.30\n", 1)

	mustKubectl(t, kc, withSidecar, "apply", "-f", "-")
	stdout := mustKapply(t, kc, webDeployment(ns, 1), "apply", "-f", "-", "--mode=update")
	if !strings.HasPrefix(stdout, "deployment.apps/web -n "+ns+" configured\n") {
		t.Errorf("kapply after kubectl: %q", stdout)
	}
	live := getObject(t, kc, testcluster.DeploymentsGVR, ns, "web")
	containers, _, _ := unstructured.NestedSlice(live.Object, "spec", "template", "spec", "containers")
	if _, ok := live.GetLabels()["tier"]; ok || len(containers) != 1 {
		t.Errorf("after kubectl apply then kapply --mode=update: labels %v, %d containers; want tier and the sidecar removed", live.GetLabels(), len(containers))
	}

	mustKapply(t, kc, withSidecar, "apply", "-f", "-", "--mode=update")
	mustKubectl(t, kc, webDeployment(ns, 1), "apply", "-f", "-")
	live = getObject(t, kc, testcluster.DeploymentsGVR, ns, "web")
	containers, _, _ = unstructured.NestedSlice(live.Object, "spec", "template", "spec", "containers")
	if _, ok := live.GetLabels()["tier"]; ok || len(containers) != 1 {
		t.Errorf("after kapply --mode=update then kubectl apply: labels %v, %d containers; want tier and the sidecar removed", live.GetLabels(), len(containers))
	}
	stdout = mustKapply(t, kc, webDeployment(ns, 1), "apply", "-f", "-", "--mode=update")
	if !strings.HasPrefix(stdout, "deployment.apps/web -n "+ns+" unchanged\n") {
		t.Errorf("kapply after kubectl with the same manifest: %q, want unchanged", stdout)
	}

	// A custom resource: JSON merge patch.
	crd := strings.ReplaceAll(widgetCRD, "faults.kapply.dev", "update.kapply.dev")
	mustKapply(t, kc, crd, "apply", "-f", "-")
	widget := func(spec string) string {
		return "apiVersion: update.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: " + ns + "\nspec:\n" + spec
	}
	mustKubectl(t, kc, widget("  size: 1\n  color: red\n"), "apply", "-f", "-")
	mustKapply(t, kc, widget("  size: 2\n"), "apply", "-f", "-", "--mode=update")
	w := getObject(t, kc, schema.GroupVersionResource{Group: "update.kapply.dev", Version: "v1", Resource: "widgets"}, ns, "w")
	if diff := cmp.Diff(map[string]any{"size": int64(2)}, w.Object["spec"]); diff != "" {
		t.Errorf("widget spec (-want +got):\n%s", diff)
	}
}

// An object whose last-applied annotation would pass the API server's
// limit is refused before anything is sent, with the way out.
func TestUpdateModeRefusesAnnotationsOverTheLimit(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "update-mode-large"
	testcluster.CreateNamespace(t, kc, ns)
	in := configMap("large", ns, map[string]string{"blob": strings.Repeat("x", 270_000)})
	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "--mode=update")
	if code != exitFailed || !strings.Contains(stdout, "over the API server's limit of 262144") || !strings.Contains(stdout, "apply it in the default mode (server-side apply keeps no such annotation)") {
		t.Errorf("exit %d\n%s%s\nwant exit 1 and an error naming the limit and the default mode", code, stdout, stderr)
	}
	if configMapExists(t, kc, ns, "large") {
		t.Error("the ConfigMap was created")
	}
	mustKapply(t, kc, in, "apply", "-f", "-") // the way out works
}
