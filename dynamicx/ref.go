package dynamicx

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Ref identifies an object the way users and the API server do: group,
// kind, namespace and name. The version is not part of an object's
// identity (apps/v1 and apps/v1beta1 Deployments are the same object).
type Ref struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the Ref of u as written (before namespace defaulting).
func RefOf(u *unstructured.Unstructured) Ref {
	gvk := u.GroupVersionKind()
	return Ref{Group: gvk.Group, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

// GroupKind returns the Ref's group and kind.
func (r Ref) GroupKind() schema.GroupKind { return schema.GroupKind{Group: r.Group, Kind: r.Kind} }

// String formats the Ref as kubectl prints objects, `deployment.apps/web`,
// with ` -n NS` for namespaced objects so that the line can be pasted into
// a kubectl command.
func (r Ref) String() string {
	s := r.KindName()
	if r.Namespace != "" {
		s += " -n " + r.Namespace
	}
	return s
}

// KindName is `kind.group/name`, lowercased like kubectl's output.
func (r Ref) KindName() string {
	k := strings.ToLower(r.Kind)
	if r.Group != "" {
		k += "." + r.Group
	}
	return k + "/" + r.Name
}
