//go:build e2e

package apply

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/dynamicx"
)

// The API server ends every watch of this test after a second; a change
// made after the watch was ended and reopened twice must still be seen,
// through the metadata watch (ConfigMap) and the full-object watch
// (Service).
func TestWatchIsReopenedWhenTheServerEndsIt(t *testing.T) {
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		t.Fatal("KUBECONFIG is not set: run the e2e tests with `make test` (devcluster run)")
	}
	opts := dynamicx.DefaultConfigOptions()
	opts.Kubeconfig = kc
	cfg, err := dynamicx.LoadConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	dopts := dynamicx.DefaultDiscoveryOptions()
	dopts.CacheDir = ""
	clients, err := dynamicx.NewClients(cfg, dopts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := "watch-reopened"
	nsObj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	if _, err := clients.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, nsObj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	services := schema.GroupVersionResource{Version: "v1", Resource: "services"}
	lb := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "edge", "namespace": ns},
		"spec": map[string]any{"type": "LoadBalancer", "ports": []any{map[string]any{"port": int64(80)}}},
	}}
	if _, err := clients.Dynamic.Resource(services).Namespace(ns).Create(ctx, lb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		target Target
		before Status
		change func() error
		after  Status
	}{
		{
			name:   "configmap created",
			target: Target{Resolved: dynamicx.Resolved{Ref: dynamicx.Ref{Kind: "ConfigMap", Namespace: ns, Name: "late"}, GVR: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, Namespaced: true}},
			before: Status{State: StateNotFound, Message: "does not exist"},
			change: func() error {
				cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "late", "namespace": ns}}}
				_, err := clients.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(ns).Create(ctx, cm, metav1.CreateOptions{})
				return err
			},
			after: Status{State: StateCurrent, Message: "exists"},
		},
		{
			name:   "load balancer gets its address",
			target: Target{Resolved: dynamicx.Resolved{Ref: dynamicx.Ref{Kind: "Service", Namespace: ns, Name: "edge"}, GVR: services, Namespaced: true}},
			before: Status{State: StateInProgress, Message: "waiting for a load-balancer address"},
			change: func() error {
				patch := `{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.20"}]}}}`
				_, err := clients.Dynamic.Resource(services).Namespace(ns).Patch(ctx, "edge", types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status")
				return err
			},
			after: Status{State: StateCurrent, Message: "load balancer at 192.0.2.20"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			one := int64(1)
			ended := make(chan struct{}, 16)
			w := &watcher{clients: clients, ready: ReadyOptions{WaitForLoadBalancer: true}, serverTimeout: &one, watchEnded: func() { ended <- struct{}{} }}
			out := make(chan []observation)
			done := make(chan struct{})
			go func() {
				defer close(done)
				w.run(ctx, groupTargets([]Target{tc.target})[0], out)
			}()
			defer func() { cancel(); <-done }()

			if diff := cmp.Diff([]observation{{idx: 0, status: tc.before}}, <-out, cmp.AllowUnexported(observation{})); diff != "" {
				t.Fatalf("first read (-want +got):\n%s", diff)
			}
			<-ended
			<-ended
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]observation{{idx: 0, status: tc.after}}, <-out, cmp.AllowUnexported(observation{})); diff != "" {
				t.Errorf("after the watch was reopened (-want +got):\n%s", diff)
			}
		})
	}
}
