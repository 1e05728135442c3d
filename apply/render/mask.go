package render

import (
	"encoding/json"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Placeholders that stand for a masked value in a diff. A value is never
// shown, only whether it changed.
const (
	MaskedValue   = "***"
	MaskedChanged = "*** (changed)"
	MaskedNew     = "*** (new)"
)

var secretGK = schema.GroupKind{Kind: "Secret"}

// serverNoise is what the server writes on every write or creation: left
// out of a diff because it changes without anyone changing the object.
var serverNoise = [][]string{
	{"metadata", "managedFields"},
	{"metadata", "resourceVersion"},
	{"metadata", "generation"},
	{"metadata", "uid"},
	{"metadata", "creationTimestamp"},
	{"metadata", "selfLink"},
	{"status"},
}

// contentAnnotations hold a copy of a whole object, Secret data included,
// written by other tools: their values are masked for every kind.
var contentAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
	"kapp.k14s.io/original":                            true,
}

// Diffable returns a copy of u's content without server noise, for
// comparing and showing; nil for nil.
func Diffable(u *unstructured.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	c := u.DeepCopy().Object
	for _, path := range serverNoise {
		unstructured.RemoveNestedField(c, path...)
	}
	if md, ok := c["metadata"].(map[string]any); ok {
		if a, ok := md["annotations"].(map[string]any); ok && len(a) == 0 {
			delete(md, "annotations")
		}
	}
	return c
}

// Mask replaces, in place, what a diff must not show of two versions
// of an object of kind gk (see Diffable for the versions): Secret values
// and annotations that carry an object (see mask).
func Mask(gk schema.GroupKind, live, merged map[string]any) { mask(gk, live, merged) }

// mask replaces, in place, every value that must not be shown: the data
// and stringData of a Secret, and annotations that carry a copy of an
// object. live is nil for an object that does not exist yet. A value is
// shown as MaskedValue on the live side and, on the merged side, as
// MaskedValue when it is the same as the live one, MaskedChanged when it
// differs and MaskedNew when live has no such key.
func mask(gk schema.GroupKind, live, merged map[string]any) {
	if gk == secretGK {
		for _, field := range []string{"data", "stringData"} {
			maskMap(nested(live, field), nested(merged, field), func(string, any) bool { return true })
		}
	}
	isContent := func(key string, v any) bool { return contentAnnotations[key] || carriesObject(v) }
	maskMap(nested(live, "metadata", "annotations"), nested(merged, "metadata", "annotations"), isContent)
}

// maskMap masks, in the two maps (either may be nil), the values of every
// key whose value on either side secret selects.
func maskMap(live, merged map[string]any, secret func(key string, v any) bool) {
	keys := map[string]bool{}
	for _, m := range []map[string]any{live, merged} {
		for k, v := range m {
			if secret(k, v) {
				keys[k] = true
			}
		}
	}
	for k := range keys {
		lv, inLive := live[k]
		mv, inMerged := merged[k]
		switch {
		case !inMerged:
		case !inLive:
			merged[k] = MaskedNew
		case reflect.DeepEqual(lv, mv):
			merged[k] = MaskedValue
		default:
			merged[k] = MaskedChanged
		}
		if inLive {
			live[k] = MaskedValue
		}
	}
}

// carriesObject reports whether an annotation's value looks like a
// serialised object (JSON with apiVersion and kind), which may hold
// Secret data whatever the annotation's name.
func carriesObject(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		return false
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &probe) != nil {
		return false
	}
	_, hasAPIVersion := probe["apiVersion"]
	_, hasKind := probe["kind"]
	return hasAPIVersion && hasKind
}

// nested returns the map at path in obj, or nil.
func nested(obj map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := obj[p].(map[string]any)
		if next == nil {
			return nil
		}
		obj = next
	}
	return obj
}
