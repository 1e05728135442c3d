package testcluster

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// Resources tests read back directly.
var (
	NamespacesGVR  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	ConfigMapsGVR  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	SecretsGVR     = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	ServicesGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	DeploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	IngressesGVR   = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
	CRDsGVR        = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// Dynamic returns a dynamic client for kubeconfig, without client-side
// throttling: tests read hundreds of objects, and client-go's 5 QPS would
// take minutes.
func Dynamic(t testing.TB, kubeconfig string) dynamic.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS = -1
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// CreateNamespace makes a namespace for one test, with the default
// ServiceAccount that a minimal cluster (no controller-manager) lacks and
// without which every Pod is refused. Like Fresh, it first removes a
// namespace of that name left by an earlier run and deletes the namespace
// when the test ends.
func CreateNamespace(t testing.TB, kubeconfig, name string) {
	t.Helper()
	Fresh(t, kubeconfig, NamespacesGVR, name)
	dyn := Dynamic(t, kubeconfig)
	ctx := context.Background()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	if _, err := dyn.Resource(NamespacesGVR).Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default", "namespace": name}}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}).Namespace(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
}

// freshBound is how long Fresh waits for a leftover to be gone: a
// namespace's content is deleted by the namespace controller first.
const freshBound = 3 * time.Minute

// Fresh makes a test's fixed names reusable, so that the suite runs again
// on the same cluster (go test -count=2, a developer's long-lived
// devcluster): each named cluster-scoped object of resource gvr (a
// Namespace, a CRD) left by an earlier run is deleted, and waited for
// until it is gone; each is deleted again, without waiting, when the test
// ends.
func Fresh(t testing.TB, kubeconfig string, gvr schema.GroupVersionResource, names ...string) {
	t.Helper()
	res := Dynamic(t, kubeconfig).Resource(gvr)
	ctx := context.Background()
	for _, name := range names {
		err := res.Delete(ctx, name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			t.Fatalf("delete %s %s left by an earlier run: %v", gvr.Resource, name, err)
		}
		deadline := time.Now().Add(freshBound)
		for {
			_, err := res.Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s, left by an earlier run, is still there %s after it was deleted", gvr.Resource, name, freshBound)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Cleanup(func() {
		for _, name := range names {
			if err := res.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("clean-up: delete %s %s: %v", gvr.Resource, name, err)
			}
		}
	})
}
