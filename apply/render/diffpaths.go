package render

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Change is one place where two versions of an object differ.
type Change struct {
	// Path names the field: `spec.replicas`, `data["tls.crt"]`, and the
	// items of a keyed list by their key,
	// `spec.template.spec.containers[name=web].image` (see Schema).
	Path string
	// Positional is the same field with every list item named by its
	// index in the new version (in the old one when it is removed), as
	// the API server names fields in its validation errors.
	Positional string
	// Old and New are the values; InOld and InNew say whether the field
	// is set on each side.
	Old, New     any
	InOld, InNew bool
	// Order: Path is a keyed list whose items moved; Old and New are not
	// set. The items that changed are Changes of their own.
	Order bool
}

// ChangedPaths lists where two versions of an object differ, as field
// paths (`spec.replicas`, `metadata.labels.app`,
// `spec.template.spec.containers[0].image`, `data["tls.crt"]`): the
// deepest field that changed, or the field added or removed as a whole.
// Without a Schema, list items are named by their index. Paths are sorted
// by the keys along them; they never carry values.
func ChangedPaths(live, merged map[string]any) []string {
	return ChangedPathsKeyed(nil, live, merged)
}

// ChangedPathsKeyed is ChangedPaths with the items of the lists the
// schema keys (list-type map: containers, env, ports...) named by their
// key: `containers[name=web].image`. Items are paired by key, so an item
// inserted or moved is one path, not every item after it; a keyed list
// whose items only moved is named by its own path.
func ChangedPathsKeyed(s *Schema, live, merged map[string]any) []string {
	var out []string
	for _, c := range Changes(s, live, merged) {
		out = append(out, c.Path)
	}
	return out
}

// Changes returns where two versions of an object differ (see
// ChangedPathsKeyed), with the values on each side.
func Changes(s *Schema, live, merged map[string]any) []Change {
	w := walker{}
	w.walk(s.root(), step{}, live, merged, true, true)
	return w.out
}

// step is a path being walked, in both forms.
type step struct{ keyed, positional string }

func (p step) key(k string) step {
	return step{joinKey(p.keyed, k), joinKey(p.positional, k)}
}

func (p step) item(name string, index int) step {
	return step{p.keyed + "[" + name + "]", p.positional + "[" + strconv.Itoa(index) + "]"}
}

type walker struct{ out []Change }

func (w *walker) add(p step, a, b any, inA, inB bool) {
	w.out = append(w.out, Change{Path: p.keyed, Positional: p.positional, Old: a, New: b, InOld: inA, InNew: inB})
}

func (w *walker) walk(c cursor, p step, a, b any, inA, inB bool) {
	if !inA || !inB {
		w.add(p, a, b, inA, inB)
		return
	}
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
			x, inX := av[k]
			y, inY := bv[k]
			w.walk(c.field(k), p.key(k), x, y, inX, inY)
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		if keys := c.listKeys(); len(keys) > 0 && w.keyedList(c.elem(), keys, p, av, bv) {
			return
		}
		for i := 0; i < max(len(av), len(bv)); i++ {
			var x, y any
			if i < len(av) {
				x = av[i]
			}
			if i < len(bv) {
				y = bv[i]
			}
			w.walk(c.elem(), p.item(strconv.Itoa(i), i), x, y, i < len(av), i < len(bv))
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		w.add(p, a, b, true, true)
	}
}

// keyedList pairs the items of a list-type map by their keys; it returns
// false, having added nothing, when an item has none of the keys or two
// items share them (the caller then goes by index).
func (w *walker) keyedList(c cursor, keys []string, p step, a, b []any) bool {
	aNames, ok := itemNames(a, keys)
	if !ok {
		return false
	}
	bNames, ok := itemNames(b, keys)
	if !ok {
		return false
	}
	aIndex := make(map[string]int, len(a))
	for i, n := range aNames {
		aIndex[n] = i
	}
	bIndex := make(map[string]int, len(b))
	for i, n := range bNames {
		bIndex[n] = i
	}
	var aOrder, bOrder []string
	for _, n := range aNames {
		if _, ok := bIndex[n]; ok {
			aOrder = append(aOrder, n)
		}
	}
	for _, n := range bNames {
		if _, ok := aIndex[n]; ok {
			bOrder = append(bOrder, n)
		}
	}
	if !reflect.DeepEqual(aOrder, bOrder) {
		w.out = append(w.out, Change{Path: p.keyed, Positional: p.positional, InOld: true, InNew: true, Order: true})
	}
	for j, n := range bNames {
		if i, ok := aIndex[n]; ok {
			w.walk(c, p.item(n, j), a[i], b[j], true, true)
		} else {
			w.add(p.item(n, j), nil, b[j], false, true)
		}
	}
	for i, n := range aNames {
		if _, ok := bIndex[n]; !ok {
			w.add(p.item(n, i), a[i], nil, true, false)
		}
	}
	return true
}

// itemNames names each item by its keys (`name=web`,
// `containerPort=80,protocol=TCP`); a key the item does not set is left
// out. ok is false when an item is not an object, has none of the keys,
// or has the name of another.
func itemNames(items []any, keys []string) (names []string, ok bool) {
	seen := map[string]bool{}
	for _, it := range items {
		m, isMap := it.(map[string]any)
		if !isMap {
			return nil, false
		}
		var parts []string
		for _, k := range keys {
			if v, set := m[k]; set {
				parts = append(parts, k+"="+keyValue(v))
			}
		}
		n := strings.Join(parts, ",")
		if n == "" || seen[n] {
			return nil, false
		}
		seen[n] = true
		names = append(names, n)
	}
	return names, true
}

var plainValue = regexp.MustCompile(`^[A-Za-z0-9_./:-]*$`)

// keyValue is a key's value in a path: as it is when it is a number or a
// plain word, else quoted.
func keyValue(v any) string {
	s, isString := v.(string)
	if !isString {
		return fmt.Sprint(v)
	}
	if s != "" && plainValue.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
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
