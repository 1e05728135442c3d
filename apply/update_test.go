package apply

import (
	"context"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kapply-dev/kapply/dynamicx"
)

// Update mode's retry on 409 is control flow, so a fake client is enough
// here; everything that involves the API server's behaviour is tested
// against the local cluster (the e2e tests).
func TestUpdateRetriesConflictsFromAFreshRead(t *testing.T) {
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	live := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cm", "namespace": "ns", "resourceVersion": "1"},
		"data":     map[string]any{"k": "old"},
	}}
	tests := []struct {
		name      string
		conflicts int
		retries   int
		wantFail  bool
		wantGets  int
	}{
		{name: "no conflict", conflicts: 0, retries: 5, wantGets: 1},
		{name: "two conflicts then success", conflicts: 2, retries: 5, wantGets: 3},
		{name: "conflicts outlast the retries", conflicts: 10, retries: 2, wantFail: true, wantGets: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), live.DeepCopy())
			conflicts, gets := tc.conflicts, 0
			dyn.PrependReactor("get", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
				gets++
				return false, nil, nil
			})
			dyn.PrependReactor("patch", "configmaps", func(a clienttesting.Action) (bool, runtime.Object, error) {
				if conflicts > 0 {
					conflicts--
					return true, nil, apierrors.NewConflict(gvr.GroupResource(), "cm", nil)
				}
				// The fake cannot apply a strategic merge patch to an
				// unstructured object: apply it as the server would, so
				// that what is stored is what the patch says.
				return true, storePatch(t, dyn, gvr, a.(clienttesting.PatchAction)), nil
			})
			opts := DefaultOptions()
			opts.Mode, opts.UpdateRetries = Update, tc.retries
			r := &run{a: &Applier{Clients: &dynamicx.Clients{Dynamic: dyn}}, opts: opts}
			desired := live.DeepCopy()
			desired.Object["data"] = map[string]any{"k": "new"}
			desired.SetResourceVersion("")
			item := &Item{Object: desired, Resolved: dynamicx.Resolved{GVR: gvr, Namespaced: true, Ref: dynamicx.Ref{Kind: "ConfigMap", Namespace: "ns", Name: "cm"}}}

			action, err := r.update(context.Background(), item)
			// The fake does not move resourceVersions, so a success reads as
			// unchanged; what matters here is success or failure.
			if (action == Failed) != tc.wantFail || (err != nil) != tc.wantFail {
				t.Errorf("action %s, err %v; want failure: %v", action, err, tc.wantFail)
			}
			if tc.wantFail && !apierrors.IsConflict(err) {
				t.Errorf("error %v does not wrap the conflict", err)
			}
			if gets != tc.wantGets {
				t.Errorf("%d GETs, want %d (one fresh read per attempt)", gets, tc.wantGets)
			}
			// What the client stores: the new data after a success, the
			// old after a failure.
			stored, err := dyn.Resource(gvr).Namespace("ns").Get(context.Background(), "cm", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := "new"
			if tc.wantFail {
				want = "old"
			}
			if got, _, _ := unstructured.NestedString(stored.Object, "data", "k"); got != want {
				t.Errorf("stored data k=%q, want %q", got, want)
			}
		})
	}
}

// storePatch applies a strategic merge patch of a ConfigMap to the fake
// client's stored object, as the API server does, and returns the result.
func storePatch(t *testing.T, dyn *dynamicfake.FakeDynamicClient, gvr schema.GroupVersionResource, a clienttesting.PatchAction) runtime.Object {
	t.Helper()
	if a.GetPatchType() != types.StrategicMergePatchType {
		t.Fatalf("patch type %s, want a strategic merge patch for a built-in kind", a.GetPatchType())
	}
	cur, err := dyn.Tracker().Get(gvr, a.GetNamespace(), a.GetName())
	if err != nil {
		t.Fatal(err)
	}
	curJSON, err := json.Marshal(cur)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := strategicpatch.StrategicMergePatch(curJSON, a.GetPatch(), &corev1.ConfigMap{})
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(merged); err != nil {
		t.Fatal(err)
	}
	if err := dyn.Tracker().Update(gvr, obj, a.GetNamespace()); err != nil {
		t.Fatal(err)
	}
	return obj
}
