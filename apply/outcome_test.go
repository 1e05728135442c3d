package apply

import (
	"encoding/json"

	"context"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kapply-dev/kapply/dynamicx"
)

var cmGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

func testConfigMap(data string, rv string, manager string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cm", "namespace": "ns"},
		"data":     map[string]any{"k": data},
	}}
	if rv != "" {
		u.SetResourceVersion(rv)
	}
	if manager != "" {
		u.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate}})
	}
	return u
}

var connReset = &url.Error{Op: "Post", URL: "https://127.0.0.1/api/v1/namespaces/ns/configmaps", Err: syscall.ECONNRESET}

// A lost response to a POST or PUT is control flow for the engine: a fake
// client whose reactors store the object and then fail is enough here.
// The same faults against the real API server, through the fault proxy,
// are in cmd/kapply/fault_e2e_test.go.
func TestWritesOfUnknownOutcomeAreReadBackNotRepeated(t *testing.T) {
	tests := []struct {
		name     string
		mode     Mode
		existing *unstructured.Unstructured
		// fail returns the error of the n-th write (from 1), after storing
		// the object when store is true; nil lets the write through.
		fail        func(n int) (store bool, err error)
		wantAction  Action
		wantErr     string
		wantWrites  int
		wantGets    int
		wantRetries int
	}{
		{
			name: "create stored, response lost: created, not sent again",
			mode: Create,
			fail: func(n int) (bool, error) {
				if n == 1 {
					return true, connReset
				}
				return false, nil
			},
			wantAction: Created, wantWrites: 1, wantGets: 1, wantRetries: 1,
		},
		{
			name: "create not stored, connection reset: read back, sent again",
			mode: Create,
			fail: func(n int) (bool, error) {
				if n == 1 {
					return false, connReset
				}
				return false, nil
			},
			wantAction: Created, wantWrites: 2, wantGets: 1, wantRetries: 1,
		},
		{
			name: "create refused with 429: sent again without reading back",
			mode: Create,
			fail: func(n int) (bool, error) {
				if n == 1 {
					return false, apierrors.NewTooManyRequests("slow down", 0)
				}
				return false, nil
			},
			wantAction: Created, wantWrites: 2, wantGets: 0, wantRetries: 1,
		},
		{
			name:       "create of unknown outcome over someone else's object: failed, left alone",
			mode:       Create,
			existing:   testConfigMap("theirs", "1", "other"),
			fail:       func(int) (bool, error) { return false, connReset },
			wantAction: Failed, wantErr: "create outcome unknown",
			wantWrites: 1, wantGets: 1, wantRetries: 1,
		},
		{
			name:       "create failing for good is reported with its attempts",
			mode:       Create,
			fail:       func(int) (bool, error) { return false, apierrors.NewServiceUnavailable("down") },
			wantAction: Failed, wantErr: "gave up after 3 attempts",
			wantWrites: 3, wantGets: 3, wantRetries: 2,
		},
		{
			name:     "update stored, response lost: configured, not sent again",
			mode:     Update,
			existing: testConfigMap("old", "1", "kapply"),
			fail: func(n int) (bool, error) {
				if n == 1 {
					return true, connReset
				}
				return false, nil
			},
			wantAction: Configured, wantWrites: 1, wantGets: 2, wantRetries: 1,
		},
		{
			name:     "update not stored, connection reset: read again, sent again",
			mode:     Update,
			existing: testConfigMap("old", "1", "kapply"),
			fail: func(n int) (bool, error) {
				if n == 1 {
					return false, connReset
				}
				return false, nil
			},
			wantAction: Configured, wantWrites: 2, wantGets: 2, wantRetries: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []runtime.Object
			if tc.existing != nil {
				objs = append(objs, tc.existing)
			}
			dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), objs...)
			writes, gets := 0, 0
			dyn.PrependReactor("get", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
				gets++
				return false, nil, nil
			})
			write := func(a clienttesting.Action) (bool, runtime.Object, error) {
				writes++
				store, err := tc.fail(writes)
				obj, perr := sentObject(dyn, a)
				if perr != nil {
					return true, nil, perr
				}
				// The fake neither moves resourceVersions nor records
				// managers; do what the server does.
				obj.SetResourceVersion(strings.Repeat("9", writes))
				obj.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "kapply", Operation: metav1.ManagedFieldsOperationUpdate}})
				if err == nil || store {
					var terr error
					if a.GetVerb() == "create" {
						terr = dyn.Tracker().Create(cmGVR, obj, "ns")
					} else {
						terr = dyn.Tracker().Update(cmGVR, obj, "ns")
					}
					if terr != nil {
						return true, nil, terr
					}
				}
				if err != nil {
					return true, nil, err
				}
				return true, obj, nil
			}
			dyn.PrependReactor("create", "configmaps", write)
			dyn.PrependReactor("patch", "configmaps", write)

			opts := DefaultOptions()
			opts.Mode = tc.mode
			opts.Retry = dynamicx.RetryOptions{MaxAttempts: 3} // no waits
			r := &run{a: &Applier{Clients: &dynamicx.Clients{Dynamic: dyn}}, opts: opts}
			item := &Item{Object: testConfigMap("new", "", ""), Resolved: dynamicx.Resolved{GVR: cmGVR, Namespaced: true, Ref: dynamicx.Ref{Kind: "ConfigMap", Namespace: "ns", Name: "cm"}}}
			ctx, traffic := dynamicx.WithTraffic(context.Background(), nil)

			var action Action
			var err error
			if tc.mode == Create {
				action, err = r.create(ctx, item, item.Object)
			} else {
				action, err = r.update(ctx, item)
			}
			if action != tc.wantAction {
				t.Errorf("action %s (err %v), want %s", action, err, tc.wantAction)
			}
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
			got := []int{writes, gets, traffic.Retries()}
			if diff := cmp.Diff([]int{tc.wantWrites, tc.wantGets, tc.wantRetries}, got); diff != "" {
				t.Errorf("writes, GETs, retries (-want +got):\n%s", diff)
			}
		})
	}
}

// sentObject is the object a create sends, or the one a patch would make
// of the stored object.
func sentObject(dyn *dynamicfake.FakeDynamicClient, a clienttesting.Action) (*unstructured.Unstructured, error) {
	if a.GetVerb() == "create" {
		return a.(interface{ GetObject() runtime.Object }).GetObject().(*unstructured.Unstructured).DeepCopy(), nil
	}
	p := a.(clienttesting.PatchAction)
	stored, err := dyn.Tracker().Get(cmGVR, "ns", p.GetName())
	if err != nil {
		return nil, err
	}
	current, err := json.Marshal(stored)
	if err != nil {
		return nil, err
	}
	patched, err := strategicpatch.StrategicMergePatch(current, p.GetPatch(), &corev1.ConfigMap{})
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	return obj, obj.UnmarshalJSON(patched)
}
