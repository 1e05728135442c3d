package manifests

import (
	"encoding/base64"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

const (
	// maxAliasValues bounds the values that alias expansion may add to one
	// document. Real manifests stay far below it; a "billion laughs" document
	// reaches it within milliseconds and a few MB.
	maxAliasValues = 100_000
	// maxDepth bounds nesting, including nesting that aliases add on top of
	// what the parser already limits.
	maxDepth = 10_000
)

// yamlConverter turns a parsed YAML node tree into the values an
// unstructured.Unstructured holds: map[string]any, []any, string, int64,
// float64, bool and nil.
type yamlConverter struct {
	chunk       *chunk // the document, to turn its positions into the input's
	kubectlKeys bool   // spell plain keys as kubectl does (decodeOptions)
	marks       *docMarks
	depth       int
	inAlias     int
	aliasValues int
	outerAlias  *yaml.Node          // the alias whose expansion is under way
	expanding   map[*yaml.Node]bool // anchors being expanded, to stop cycles
}

func (c *yamlConverter) at(n *yaml.Node) mark {
	return c.chunk.at(mark{line: n.Line, col: n.Column})
}

func (c *yamlConverter) value(n *yaml.Node, w where, idx int) (any, error) {
	if c.inAlias > 0 {
		c.aliasValues++
		if c.aliasValues > maxAliasValues {
			return nil, refuseAt(c.at(c.outerAlias), refusedUnsafe, "aliases expand to more than %d values, refused as a likely YAML alias bomb", maxAliasValues)
		}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		v, err := c.scalar(n)
		if err != nil {
			return nil, err
		}
		return jsonValue(v, c.at(n))
	case yaml.MappingNode:
		return c.mapping(n, w, idx)
	case yaml.SequenceNode:
		return c.sequence(n, w)
	case yaml.AliasNode:
		return c.alias(n, w, idx)
	}
	return nil, errorAt(c.at(n), "unexpected YAML node")
}

func (c *yamlConverter) alias(n *yaml.Node, w where, idx int) (any, error) {
	var v any
	err := c.deref(n, func(target *yaml.Node) (err error) {
		v, err = c.value(target, w, idx)
		return err
	})
	return v, err
}

// deref calls f with the node n refers to, n itself if it is no alias.
func (c *yamlConverter) deref(n *yaml.Node, f func(*yaml.Node) error) error {
	if n.Kind != yaml.AliasNode {
		return f(n)
	}
	target := n.Alias
	if target == nil {
		return errorAt(c.at(n), "alias *%s refers to no anchor", n.Value)
	}
	if c.expanding == nil {
		c.expanding = make(map[*yaml.Node]bool)
	}
	if c.expanding[target] {
		return errorAt(c.at(n), "alias *%s is inside the node it refers to", n.Value)
	}
	c.expanding[target] = true
	if c.inAlias == 0 {
		c.outerAlias = n
	}
	c.inAlias++
	err := f(target)
	c.inAlias--
	delete(c.expanding, target)
	return err
}

func (c *yamlConverter) enter(n *yaml.Node) error {
	c.depth++
	if c.depth > maxDepth {
		return refuseAt(c.at(n), refusedUnsafe, "nested more than %d levels deep", maxDepth)
	}
	return nil
}

func (c *yamlConverter) leave(*yaml.Node) {
	c.depth--
}

func (c *yamlConverter) sequence(n *yaml.Node, w where) (any, error) {
	if err := c.enter(n); err != nil {
		return nil, err
	}
	s := make([]any, len(n.Content))
	for i, e := range n.Content {
		ew := c.marks.elem(w, i, c.at(e))
		v, err := c.value(e, ew, i)
		if err != nil {
			return nil, err
		}
		s[i] = v
	}
	c.leave(n)
	return s, nil
}

func (c *yamlConverter) mapping(n *yaml.Node, w where, idx int) (any, error) {
	if err := c.enter(n); err != nil {
		return nil, err
	}
	// Keys first: a duplicate key is reported before any problem in a
	// value that the duplicate would have replaced for kubectl.
	m := make(map[string]any, len(n.Content)/2)
	keys := make([]string, len(n.Content)/2)
	merge := -1
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		if isMerge(kn) {
			if merge >= 0 {
				return nil, refuseAt(c.at(kn), refusedDuplicateKey, "duplicate merge key << (first at line %d)", c.at(n.Content[merge]).line)
			}
			merge = i
			continue
		}
		key, err := c.key(kn)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(key, "\ufeff") {
			return nil, refuseAt(c.at(kn), refusedUnsafe, "a key starts with a byte order mark (U+FEFF): kubectl would send a field with it in its name; remove the mark")
		}
		if _, dup := m[key]; dup {
			return nil, c.duplicate(n, i, key)
		}
		m[key] = nil
		keys[i/2] = key
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if i == merge {
			continue
		}
		key := keys[i/2]
		v, err := c.value(n.Content[i+1], c.marks.key(w, idx, key, c.at(n.Content[i])), idx)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	if merge >= 0 {
		if err := c.merge(m, n, merge, keys, w, idx); err != nil {
			return nil, err
		}
	}
	c.leave(n)
	return m, nil
}

// isMerge reports whether n is the merge key: a plain "<<", or one tagged
// !!merge; a quoted "<<" is an ordinary key.
func isMerge(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || n.Value != "<<" {
		return false
	}
	if n.Style&yaml.TaggedStyle != 0 {
		return n.Tag == "!!merge"
	}
	return n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
}

// merge adds the keys of the "<<" value at n.Content[at+1] that the mapping
// does not set itself, earlier mappings of a list winning over later ones,
// as the YAML merge key is specified. kubectl (yaml.v2) applies entries in
// order instead, so a "<<" below an explicit key replaces it: where that
// happens the two disagree, and the mapping is refused (issue 18, row 8).
// Values that an explicit key overrides are not converted, as kubectl never
// sends them.
func (c *yamlConverter) merge(m map[string]any, n *yaml.Node, at int, keys []string, w where, idx int) error {
	explicit := make(map[string]int, len(keys)) // key -> its index in n.Content
	for i, k := range keys {
		if 2*i != at {
			explicit[k] = 2 * i
		}
	}
	mn := n.Content[at+1]
	from := []*yaml.Node{mn}
	if mn.Kind == yaml.SequenceNode {
		from = mn.Content
	}
	merged := make(map[string]bool)
	add := func(k string) (bool, error) {
		if merged[k] {
			return false, nil
		}
		merged[k] = true
		if i, set := explicit[k]; set {
			if i < at {
				return false, refuseAt(c.at(n.Content[at]), refusedMergeOverride,
					`merge key << comes after the key %q (line %d) and sets it too: YAML keeps the explicit value, kubectl would take the merged one; put "<<" first in the mapping to keep the explicit value`,
					k, c.at(n.Content[i]).line)
			}
			return false, nil
		}
		return true, nil
	}
	for _, e := range from {
		err := c.deref(e, func(t *yaml.Node) error {
			if t.Kind != yaml.MappingNode || hasMerge(t) {
				return c.mergeValue(m, t, add, w, idx)
			}
			return c.mergeMapping(m, t, add, idx)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeValue merges a value converted whole: not a mapping (an error), or
// one with merge keys of its own.
func (c *yamlConverter) mergeValue(m map[string]any, t *yaml.Node, add func(string) (bool, error), w where, idx int) error {
	v, err := c.value(t, w, idx)
	if err != nil {
		return err
	}
	mm, ok := v.(map[string]any)
	if !ok {
		return errorAt(c.at(t), "merge key << needs a mapping or a list of mappings")
	}
	for _, k := range slices.Sorted(maps.Keys(mm)) {
		ok, err := add(k)
		if err != nil {
			return err
		}
		if ok {
			m[k] = mm[k]
		}
	}
	return nil
}

// mergeMapping merges a plain mapping, converting only the values it adds.
func (c *yamlConverter) mergeMapping(m map[string]any, t *yaml.Node, add func(string) (bool, error), idx int) error {
	if err := c.enter(t); err != nil {
		return err
	}
	seen := make(map[string]bool, len(t.Content)/2)
	for i := 0; i+1 < len(t.Content); i += 2 {
		k, err := c.key(t.Content[i])
		if err != nil {
			return err
		}
		if seen[k] {
			return c.duplicate(t, i, k)
		}
		seen[k] = true
	}
	for i := 0; i+1 < len(t.Content); i += 2 {
		k, _ := c.key(t.Content[i])
		ok, err := add(k)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		v, err := c.value(t.Content[i+1], inOther, idx)
		if err != nil {
			return err
		}
		m[k] = v
	}
	c.leave(t)
	return nil
}

func hasMerge(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			return true
		}
	}
	return false
}

func (c *yamlConverter) duplicate(n *yaml.Node, i int, key string) error {
	for j := 0; j < i; j += 2 {
		if k, err := c.key(n.Content[j]); err == nil && k == key {
			return refuseAt(c.at(n.Content[i]), refusedDuplicateKey, "duplicate key %q (first at line %d)", key, c.at(n.Content[j]).line)
		}
	}
	return refuseAt(c.at(n.Content[i]), refusedDuplicateKey, "duplicate key %q", key)
}

// key turns a mapping key into the string JSON needs. A plain key is taken
// as written: kubectl resolves keys like values, so its "y:" and "on:" become
// "true" and "1.10:" becomes "1.1", silently renaming fields (and making
// "y:" and "on:" collide); nobody writes those keys meaning that. A tagged
// key (!!int 010) is resolved and formatted as kubectl would.
func (c *yamlConverter) key(n *yaml.Node) (string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", errorAt(c.at(n), "a mapping key must be a scalar, not a %s", kindName(n))
	}
	if isPlain(n) && !c.kubectlKeys {
		if resolvePlain(n.Value) == nil {
			return "", errorAt(c.at(n), "a mapping key must not be null")
		}
		return n.Value, nil
	}
	v, err := c.scalar(n)
	if err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		if c.kubectlKeys {
			return "", errorAt(c.at(n), "kubectl cannot use an integer over 2^63 as a key")
		}
		return strconv.FormatUint(v, 10), nil
	case float64:
		switch {
		case math.IsInf(v, 1):
			return ".inf", nil
		case math.IsInf(v, -1):
			return "-.inf", nil
		case math.IsNaN(v):
			return ".nan", nil
		}
		return strconv.FormatFloat(v, 'g', -1, 32), nil
	}
	return "", errorAt(c.at(n), "a mapping key must not be null")
}

// isPlain reports whether n is a plain scalar: not quoted, not a block
// scalar, and with no tag, not even the non-specific "!".
func isPlain(n *yaml.Node) bool {
	return n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 && n.Tag != "!"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	}
	return "scalar"
}

// scalar resolves a scalar node to string, bool, nil, int64, uint64 or
// float64 (possibly NaN or infinite; jsonValue refuses those).
func (c *yamlConverter) scalar(n *yaml.Node) (any, error) {
	if n.Tag == "!" {
		// The non-specific tag: "! 0644" is the string "0644" (issue 18,
		// row 3), as YAML and kubectl have it.
		return n.Value, nil
	}
	if n.Style&yaml.TaggedStyle == 0 {
		if !isPlain(n) {
			return n.Value, nil
		}
		return resolvePlain(n.Value), nil
	}
	switch n.Tag {
	case "!!str", "!!timestamp", "!!merge":
		return n.Value, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return nil, errorAt(c.at(n), "value tagged !!binary is not valid base64")
		}
		return string(b), nil
	case "!!null", "!!bool", "!!int", "!!float":
		v := resolvePlain(n.Value)
		ok := false
		switch v.(type) {
		case nil:
			ok = n.Tag == "!!null"
		case bool:
			ok = n.Tag == "!!bool"
		case int64, uint64:
			ok = n.Tag == "!!int" || n.Tag == "!!float"
		case float64:
			ok = n.Tag == "!!float"
		}
		if !ok {
			return nil, errorAt(c.at(n), "value does not match its tag %s", n.Tag)
		}
		if i, isInt := v.(int64); isInt && n.Tag == "!!float" {
			return float64(i), nil
		}
		return v, nil
	}
	// Like yaml.v2, an application tag (!Ref, !!python/...) does not change
	// the value: it stays the string written.
	return n.Value, nil
}
