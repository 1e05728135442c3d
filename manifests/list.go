package manifests

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kubectl's decoder (the unstructured JSON scheme) takes every document with
// a top-level items field for a List, whatever its kind: items null is an
// empty List, a sequence is flattened, anything else is an error. kapply
// flattens the same Lists, and refuses the two shapes where kubectl's result
// is a trap (issue 18, row 7): items on a kind not named ...List, where
// kubectl would apply the items (or nothing) instead of the object written,
// and kind List without items, which kubectl sends as an object of kind List.

// flatten turns a document into its objects: itself, or the members of a
// List, each with its item number and line. A List's own apiVersion and
// metadata are dropped, as kubectl does.
func flatten(path string, d parsedDoc) ([]decoded, []error) {
	m := d.value.(map[string]any)
	src := Source{Path: path, Doc: d.doc, Line: d.marks.top.start.line}
	fail := func(at mark, why refusal, format string, args ...any) []error {
		return []error{docError(path, d.doc, d.marks.top.start, refuseAt(at, why, format, args...))}
	}
	items, hasItems := m["items"]
	kind, _ := m["kind"].(string)
	switch {
	case !hasItems && kind == "List":
		return nil, fail(d.marks.top.kind, refusedListShape, "a List needs items: kubectl would send this as an object of kind List, which no API server serves; write \"items: []\" for an empty List")
	case !hasItems || kind == "":
		return []decoded{{Object: Object{Source: src, Obj: &unstructured.Unstructured{Object: m}}, marks: d.marks.top}}, nil
	case !strings.HasSuffix(kind, "List"):
		return nil, fail(d.marks.top.items, refusedListShape, "a top-level items field on kind %s: kubectl takes any document with items for a List and would apply its items instead of this object (nothing at all when items is null); only a kind named ...List may have top-level items", kind)
	}
	var list []any
	switch v := items.(type) {
	case nil:
	case []any:
		list = v
	default:
		return nil, []error{docError(path, d.doc, d.marks.top.start, errorAt(d.marks.top.items, "items of a List must be a sequence, not %s", describe(v)))}
	}
	apiVersion, _ := m["apiVersion"].(string)
	var out []decoded
	var errs []error
	for i, it := range list {
		var im objMarks
		if i < len(d.marks.items) {
			im = d.marks.items[i]
		}
		isrc := src
		isrc.Item = i + 1
		isrc.Line = im.start.line
		fail := func(at mark, err error) {
			if !at.known() {
				at = im.start
			}
			errs = append(errs, &DecodeError{Source: isrc, Line: at.line, Col: at.col, Err: err})
		}
		obj, ok := it.(map[string]any)
		if !ok {
			fail(im.start, errorAt(im.start, "must be a mapping with apiVersion, kind and metadata, not %s", describe(it)).err)
			continue
		}
		if _, nested := obj["items"].([]any); nested {
			fail(im.kind, refused(refusedNestedList, "a List inside a List is not supported"))
			continue
		}
		inferKind(obj, kind, apiVersion)
		out = append(out, decoded{Object: Object{Source: isrc, Obj: &unstructured.Unstructured{Object: obj}}, marks: im})
	}
	return out, errs
}

// inferKind gives a member of a typed List (ConfigMapList) that has neither
// kind nor apiVersion those of the List, as kubectl does: an API server
// leaves them out of the items of the Lists it returns.
func inferKind(obj map[string]any, listKind, apiVersion string) {
	k, _ := obj["kind"].(string)
	v, _ := obj["apiVersion"].(string)
	if k == "" && v == "" {
		obj["kind"] = strings.TrimSuffix(listKind, "List")
		obj["apiVersion"] = apiVersion
	}
}
