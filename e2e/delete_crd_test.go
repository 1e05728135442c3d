//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// Deleting a CRD names the custom resources it takes with it; with
// --wait, a CRD held by its custom resources shows its Terminating
// condition while it waits and in the timeout report (issue 13 I).
func TestDeleteCRDReportsItsCustomResourcesAndTerminatingCondition(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "delete-crd"
	testcluster.CreateNamespace(t, kc, ns)
	dyn := testcluster.Dynamic(t, kc)
	crd := crdOf("del13.kapply.dev", "Widget", "widgets")
	widgets := schema.GroupVersionResource{Group: "del13.kapply.dev", Version: "v1", Resource: "widgets"}
	cr := "apiVersion: del13.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: held\n  namespace: " + ns + "\n  finalizers: [kapply.dev/test-hold]\n"
	if code, stdout, stderr := kapplyIn(t, kc, bundle(crd, cr), "apply", "-f", "-"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Cleanup(func() {
		patch := `{"metadata":{"finalizers":null}}`
		_, _ = dyn.Resource(widgets).Namespace(ns).Patch(context.Background(), "held", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		_ = dyn.Resource(crdsGVR).Delete(context.Background(), "widgets.del13.kapply.dev", metav1.DeleteOptions{})
	})
	// Deleted right after it was installed: the run lists its resource
	// until the server answers before deleting it.
	code, stdout, stderr := kapplyIn(t, kc, crd, "delete", "-f", "-", "--wait", "--timeout", "8s")
	wantOut := "customresourcedefinition.apiextensions.k8s.io/widgets.del13.kapply.dev deleted (with 1 custom resource: widget/held -n delete-crd)\n"
	if !strings.HasPrefix(stdout, wantOut) {
		t.Errorf("stdout does not start with %q:\n%s", wantOut, stdout)
	}
	ref := "customresourcedefinition.apiextensions.k8s.io/widgets.del13.kapply.dev: "
	why := "waiting for finalizers customresourcecleanup.apiextensions.k8s.io: Terminating: InstanceDeletionInProgress: CustomResource deletion is in progress"
	wantProgress, wantReport := ref+"still present: "+why+"\n", "still present after the timeout:\n  "+ref+why+"\n"
	if code != exitTimeout || !strings.Contains(stderr, wantProgress) || !strings.Contains(stderr, wantReport) {
		t.Errorf("exit %d, want %d; stderr should show %q in the progress and %q in the report:\n%s", code, exitTimeout, wantProgress, wantReport, stderr)
	}
	if u, err := dyn.Resource(widgets).Namespace(ns).Get(context.Background(), "held", metav1.GetOptions{}); err != nil || u.GetDeletionTimestamp() == nil {
		t.Errorf("the custom resource should be terminating, held by its finalizer: %v", err)
	}
}
