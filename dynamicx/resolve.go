package dynamicx

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
)

// Resolved is an object mapped to its API resource, with its namespace
// settled.
type Resolved struct {
	Ref        Ref
	GVR        schema.GroupVersionResource
	Namespaced bool
}

// Resource returns the dynamic client for the object's resource, scoped to
// its namespace when it has one.
func (r Resolved) Resource(dyn dynamic.Interface) dynamic.ResourceInterface {
	res := dyn.Resource(r.GVR)
	if r.Namespaced {
		return res.Namespace(r.Ref.Namespace)
	}
	return res
}

// ErrNamespaceMismatch is wrapped by errors for an object whose namespace
// differs from the one given with -n.
var ErrNamespaceMismatch = errors.New("namespace mismatch")

// ErrClusterScopedWithNamespace is wrapped by errors for a cluster-scoped
// object that names a namespace.
var ErrClusterScopedWithNamespace = errors.New("cluster-scoped object with a namespace")

// Resolve maps u's kind to its resource and settles its namespace. It does
// not modify u; callers that write u call SetNamespace(res.Ref.Namespace).
// A kind the server does not know is returned as the mapper's
// *meta.NoKindMatchError (check with meta.IsNoMatchError).
func Resolve(ctx context.Context, mapper meta.RESTMapper, cfg *Config, u *unstructured.Unstructured) (Resolved, error) {
	gvk := u.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return Resolved{}, err
	}
	return ResolveWithScope(cfg, u, mapping.Resource, mapping.Scope.Name() == meta.RESTScopeNameNamespace)
}

// ResolveWithScope settles u's namespace for a resource whose scope is
// already known (for example a custom resource whose CRD is in the same
// bundle and not yet served).
func ResolveWithScope(cfg *Config, u *unstructured.Unstructured, gvr schema.GroupVersionResource, namespaced bool) (Resolved, error) {
	ref := RefOf(u)
	res := Resolved{Ref: ref, GVR: gvr, Namespaced: namespaced}
	if !namespaced {
		if ref.Namespace != "" {
			return Resolved{}, fmt.Errorf("%w: %s is cluster-scoped but names namespace %q: remove metadata.namespace", ErrClusterScopedWithNamespace, ref.KindName(), ref.Namespace)
		}
		return res, nil
	}
	switch {
	case ref.Namespace == "":
		res.Ref.Namespace = cfg.Namespace
	case cfg.NamespaceExplicit && ref.Namespace != cfg.Namespace:
		return Resolved{}, fmt.Errorf("%w: %s names namespace %q but -n is %q", ErrNamespaceMismatch, ref.KindName(), ref.Namespace, cfg.Namespace)
	}
	return res, nil
}

// MetadataResource returns the metadata client for the object's resource,
// namespaced when the resource is: its writes answer with the object's
// metadata only.
func (r Resolved) MetadataResource(md metadata.Interface) metadata.ResourceInterface {
	res := md.Resource(r.GVR)
	if r.Namespaced {
		return res.Namespace(r.Ref.Namespace)
	}
	return res
}
