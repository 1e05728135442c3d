package watcher

import (
	"context"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kapply-dev/kapply/apply/readiness"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// statusSubresources remembers, per resource, whether it is served by a
// CRD with a status subresource in that version.
type statusSubresources struct {
	dyn dynamic.Interface
	mu  sync.Mutex
	has map[schema.GroupVersionResource]bool
}

// lookup reads the CRD that serves gvr, once. Built-in and aggregated
// resources have no CRD (404); a CRD that cannot be read (RBAC) counts as
// without a status subresource: the older rule, ready once it exists.
func (s *statusSubresources) lookup(ctx context.Context, gvr schema.GroupVersionResource, gk schema.GroupKind) bool {
	if s == nil || gvr.Group == "" || readiness.HasOwnRule(gk) {
		return false
	}
	s.mu.Lock()
	has, ok := s.has[gvr]
	s.mu.Unlock()
	if ok {
		return has
	}
	crd, err := s.dyn.Resource(crdGVR).Get(ctx, gvr.Resource+"."+gvr.Group, metav1.GetOptions{})
	if err == nil {
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			if name, _ := vm["name"].(string); name == gvr.Version {
				_, has, _ = unstructured.NestedMap(vm, "subresources", "status")
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.has == nil {
		s.has = map[schema.GroupVersionResource]bool{}
	}
	if ctx.Err() == nil {
		s.has[gvr] = has
	}
	return has
}
