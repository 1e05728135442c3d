package render

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
)

// ChangedPaths lists where two versions of an object differ, as field
// paths (`spec.replicas`, `metadata.labels.app`,
// `spec.template.spec.containers[0].image`, `data["tls.crt"]`): the
// deepest field that changed, or the field added or removed as a whole.
// Paths are sorted by the keys along them; they never carry values.
func ChangedPaths(live, merged map[string]any) []string {
	var out []string
	walkChanges("", live, merged, &out)
	return out
}

func walkChanges(path string, a, b any, out *[]string) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, dup := av[k]; !dup {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			x, inA := av[k]
			y, inB := bv[k]
			switch {
			case inA && inB:
				walkChanges(joinKey(path, k), x, y, out)
			default:
				*out = append(*out, joinKey(path, k))
			}
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		for i := 0; i < max(len(av), len(bv)); i++ {
			p := path + "[" + strconv.Itoa(i) + "]"
			if i < len(av) && i < len(bv) {
				walkChanges(p, av[i], bv[i], out)
			} else {
				*out = append(*out, p)
			}
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, path)
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// joinKey appends a map key to a path: `.key`, or `["key"]` for a key
// that holds dots, slashes or other characters a reader would split on.
func joinKey(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
