package manifests

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// isList reports whether an object is a List to flatten: kind List (as
// "kubectl get -o yaml" writes), or any kind ending in List whose items is a
// sequence, the rule kubectl's decoder follows. The items test keeps a custom
// kind such as AllowList with no items field an ordinary object.
func isList(m map[string]any) bool {
	kind, _ := m["kind"].(string)
	if kind == "List" {
		return true
	}
	if !strings.HasSuffix(kind, "List") {
		return false
	}
	_, ok := m["items"].([]any)
	return ok
}

// flatten turns a document into its objects: itself, or the members of a
// List, each with its item number and line. A List's own apiVersion and
// metadata are dropped, as kubectl does.
func flatten(path string, d parsedDoc) ([]decoded, []error) {
	m := d.value.(map[string]any)
	src := Source{Path: path, Doc: d.doc, Line: d.marks.top.start.line}
	if !isList(m) {
		return []decoded{{Object: Object{Source: src, Obj: &unstructured.Unstructured{Object: m}}, marks: d.marks.top}}, nil
	}
	var items []any
	switch v := m["items"].(type) {
	case nil:
	case []any:
		items = v
	default:
		at := d.marks.top.items
		return nil, []error{docError(path, d.doc, d.marks.top.start, errorAt(at, "items of a List must be a sequence, not %s", describe(v)))}
	}
	var out []decoded
	var errs []error
	for i, it := range items {
		var im objMarks
		if i < len(d.marks.items) {
			im = d.marks.items[i]
		}
		isrc := src
		isrc.Item = i + 1
		isrc.Line = im.start.line
		fail := func(at mark, format string, args ...any) {
			if !at.known() {
				at = im.start
			}
			errs = append(errs, &DecodeError{Source: isrc, Line: at.line, Col: at.col, Err: errorAt(at, format, args...).err})
		}
		obj, ok := it.(map[string]any)
		if !ok {
			fail(im.start, "must be a mapping with apiVersion, kind and metadata, not %s", describe(it))
			continue
		}
		if isList(obj) {
			fail(im.kind, "a List inside a List is not supported")
			continue
		}
		out = append(out, decoded{Object: Object{Source: isrc, Obj: &unstructured.Unstructured{Object: obj}}, marks: im})
	}
	return out, errs
}
