//go:build e2e

package watcher

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// channelBound bounds every wait of these tests on a channel: the server
// ends each watch after a second, so a wait that lasts this long means
// the watcher is stuck, not slow.
const channelBound = time.Minute

// receive returns the next value of ch, or fails the test, naming what it
// waited for, when none comes within channelBound.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(channelBound)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("no %s within %s", what, channelBound)
	}
	panic("unreachable")
}

// The API server ends every watch of this test after a second; a change
// made after the watch was ended and reopened twice must still be seen,
// through the metadata watch (ConfigMap) and the full-object watch
// (Service).
func TestWatchIsReopenedWhenTheServerEndsIt(t *testing.T) {
	// Only a local devcluster (issue 17): this test creates a namespace.
	kc := testcluster.Kubeconfig(t)
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
	// A namespace left by an earlier run (go test -count=2, a long-lived
	// devcluster) is deleted first, so the test runs again on one cluster.
	testcluster.Fresh(t, kc, schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, ns)
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
		before readiness.Status
		change func() error
		after  readiness.Status
	}{
		{
			name:   "configmap created",
			target: Target{Resolved: dynamicx.Resolved{Ref: dynamicx.Ref{Kind: "ConfigMap", Namespace: ns, Name: "late"}, GVR: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, Namespaced: true}},
			before: readiness.Status{State: readiness.StateNotFound, Message: "does not exist"},
			change: func() error {
				cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "late", "namespace": ns}}}
				_, err := clients.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(ns).Create(ctx, cm, metav1.CreateOptions{})
				return err
			},
			after: readiness.Status{State: readiness.StateCurrent, Message: "exists"},
		},
		{
			name:   "load balancer gets its address",
			target: Target{Resolved: dynamicx.Resolved{Ref: dynamicx.Ref{Kind: "Service", Namespace: ns, Name: "edge"}, GVR: services, Namespaced: true}},
			before: readiness.Status{State: readiness.StateInProgress, Message: "waiting for a load-balancer address"},
			change: func() error {
				patch := `{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.20"}]}}}`
				_, err := clients.Dynamic.Resource(services).Namespace(ns).Patch(ctx, "edge", types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status")
				return err
			},
			after: readiness.Status{State: readiness.StateCurrent, Message: "load balancer at 192.0.2.20"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			one := int64(1)
			ended := make(chan struct{}, 2)
			endedOnce := func() {
				select { // never block the watcher: two ends are all the test counts
				case ended <- struct{}{}:
				default:
				}
			}
			w := &groupWatcher{clients: clients, ready: readiness.Options{WaitForLoadBalancer: true}, serverTimeout: &one, watchEnded: endedOnce}
			out := make(chan []observation)
			done := make(chan struct{})
			go func() {
				defer close(done)
				w.run(ctx, groupTargets([]Target{tc.target}, true)[0], out)
			}()
			defer func() {
				cancel()
				receive(t, done, "end of the watcher after its context was cancelled")
			}()

			first := receive(t, out, "first status from the initial list")
			if diff := cmp.Diff([]observation{{idx: 0, status: tc.before}}, first, cmp.AllowUnexported(observation{})); diff != "" {
				t.Fatalf("first read (-want +got):\n%s", diff)
			}
			receive(t, ended, "first end of the watch by the server (timeoutSeconds=1)")
			receive(t, ended, "second end of the watch by the server (timeoutSeconds=1)")
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			after := receive(t, out, "status after the change, through the reopened watch")
			if diff := cmp.Diff([]observation{{idx: 0, status: tc.after}}, after, cmp.AllowUnexported(observation{})); diff != "" {
				t.Errorf("after the watch was reopened (-want +got):\n%s", diff)
			}
		})
	}
}
