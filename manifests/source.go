package manifests

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Source says where an object came from, so that every message about the
// object can send the user to the exact place to fix.
type Source struct {
	// Path is the file path as the user reached it (a directory's files are
	// joined to the directory as given), "-" for standard input, or the URL
	// with any password removed.
	Path string
	// Doc is the 1-based number of the YAML document or JSON value in the
	// input. Empty and comment-only documents keep their number, so the count
	// matches the "---" separators a reader sees; comments and directives
	// before the first "---" do not make a document of their own.
	Doc int
	// Line is the 1-based line, counted from the start of the input, where
	// the object's content starts.
	Line int
	// Item is 0 for an object that is a document of its own, and the 1-based
	// position in items for a member of a List.
	Item int
}

// String gives PATH#DOC, or PATH#DOC[ITEM] for a member of a List (ITEM
// 1-based), the same prefix that errors use; PATH alone when the document
// is not known (an object kustomize rendered from a file it could not be
// traced back to a document of).
func (s Source) String() string {
	if s.Doc == 0 {
		return s.Path
	}
	if s.Item > 0 {
		return fmt.Sprintf("%s#%d[%d]", s.Path, s.Doc, s.Item)
	}
	return fmt.Sprintf("%s#%d", s.Path, s.Doc)
}

// Object is one decoded Kubernetes object and where it came from.
type Object struct {
	Source Source
	Obj    *unstructured.Unstructured
}

// Key identifies the object the way the API server does, which is what makes
// two inputs collide.
func (o Object) Key() ObjectKey {
	return KeyOf(o.Obj)
}

// ObjectKey identifies an object on the cluster. The version is left out on
// purpose: apps/v1 and apps/v1beta2 Deployments of one name are the same
// object. Namespace is the one written in the input, "" when none is, because
// defaulting it needs the API server to know whether the kind is namespaced.
type ObjectKey struct {
	Group     string
	Kind      string
	Namespace string
	Name      string
}

// KeyOf returns the ObjectKey of obj.
func KeyOf(obj *unstructured.Unstructured) ObjectKey {
	gv, err := schema.ParseGroupVersion(obj.GetAPIVersion())
	if err != nil {
		// Validation refuses such objects; keep the text so distinct bad
		// values stay distinct.
		gv.Group = obj.GetAPIVersion()
	}
	return ObjectKey{
		Group:     gv.Group,
		Kind:      obj.GetKind(),
		Namespace: obj.GetNamespace(),
		Name:      obj.GetName(),
	}
}

// String gives KIND[.GROUP] [NAMESPACE/]NAME, close to kubectl's
// "deployment.apps/web" but keeping the kind's case, which matters for CRDs.
func (k ObjectKey) String() string {
	kind := k.Kind
	if k.Group != "" {
		kind += "." + k.Group
	}
	if k.Namespace != "" {
		return kind + " " + k.Namespace + "/" + k.Name
	}
	return kind + " " + k.Name
}
