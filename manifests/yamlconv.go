package manifests

import (
	"encoding/base64"
	"math"
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
	lineOff     int // added to a node's line to count from the start of the input
	marks       *docMarks
	depth       int
	inAlias     int
	aliasValues int
	outerAlias  *yaml.Node          // the alias whose expansion is under way
	expanding   map[*yaml.Node]bool // anchors being expanded, to stop cycles
}

func (c *yamlConverter) at(n *yaml.Node) mark {
	return mark{line: n.Line + c.lineOff, col: n.Column}
}

func (c *yamlConverter) value(n *yaml.Node, w where, idx int) (any, error) {
	if c.inAlias > 0 {
		c.aliasValues++
		if c.aliasValues > maxAliasValues {
			return nil, errorAt(c.at(c.outerAlias), "aliases expand to more than %d values, refused as a likely YAML alias bomb", maxAliasValues)
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
	target := n.Alias
	if target == nil {
		return nil, errorAt(c.at(n), "alias *%s refers to no anchor", n.Value)
	}
	if c.expanding == nil {
		c.expanding = make(map[*yaml.Node]bool)
	}
	if c.expanding[target] {
		return nil, errorAt(c.at(n), "alias *%s is inside the node it refers to", n.Value)
	}
	c.expanding[target] = true
	if c.inAlias == 0 {
		c.outerAlias = n
	}
	c.inAlias++
	v, err := c.value(target, w, idx)
	c.inAlias--
	delete(c.expanding, target)
	return v, err
}

func (c *yamlConverter) enter(n *yaml.Node) error {
	c.depth++
	if c.depth > maxDepth {
		return errorAt(c.at(n), "nested more than %d levels deep", maxDepth)
	}
	return nil
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
	c.depth--
	return s, nil
}

func (c *yamlConverter) mapping(n *yaml.Node, w where, idx int) (any, error) {
	if err := c.enter(n); err != nil {
		return nil, err
	}
	m := make(map[string]any, len(n.Content)/2)
	var merge *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if isMerge(kn) {
			if merge != nil {
				return nil, errorAt(c.at(kn), "duplicate merge key <<")
			}
			merge = vn
			continue
		}
		key, err := c.key(kn)
		if err != nil {
			return nil, err
		}
		if _, dup := m[key]; dup {
			return nil, c.duplicate(n, i, key)
		}
		v, err := c.value(vn, c.marks.key(w, idx, key, c.at(kn)), idx)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	if merge != nil {
		if err := c.merge(m, merge, w, idx); err != nil {
			return nil, err
		}
	}
	c.depth--
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

// merge adds the keys of a "<<" value that the mapping does not set itself,
// earlier mappings of a list winning over later ones, as the YAML merge key
// is specified (yaml.v2, and so kubectl, lets a later "<<" override keys
// above it; manifests that rely on that are rare and ambiguous).
func (c *yamlConverter) merge(m map[string]any, n *yaml.Node, w where, idx int) error {
	from := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		from = n.Content
	}
	for _, e := range from {
		v, err := c.value(e, w, idx)
		if err != nil {
			return err
		}
		mm, ok := v.(map[string]any)
		if !ok {
			return errorAt(c.at(e), "merge key << needs a mapping or a list of mappings")
		}
		for k, x := range mm {
			if _, set := m[k]; !set {
				m[k] = x
			}
		}
	}
	return nil
}

func (c *yamlConverter) duplicate(n *yaml.Node, i int, key string) error {
	for j := 0; j < i; j += 2 {
		if k, err := c.key(n.Content[j]); err == nil && k == key {
			return errorAt(c.at(n.Content[i]), "duplicate key %q (first at line %d)", key, c.at(n.Content[j]).line)
		}
	}
	return errorAt(c.at(n.Content[i]), "duplicate key %q", key)
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
	if n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
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
	if n.Style&yaml.TaggedStyle == 0 {
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
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

// resolvePlain gives the value of an unquoted, untagged scalar by the YAML
// 1.1 rules of yaml.v2, which sigs.k8s.io/yaml and so kubectl use, so that a
// manifest means the same object with kapply as with kubectl: yes, no, on,
// off, y and n are booleans and 0644 is octal. The YAML 1.2 rules of newer
// parsers would quietly turn such booleans into strings.
func resolvePlain(s string) any {
	if s == "" {
		return nil
	}
	switch s[0] {
	case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O', '~':
		switch s {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return true
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return false
		case "~", "null", "Null", "NULL":
			return nil
		}
		return s
	case '.':
		switch s {
		case ".nan", ".NaN", ".NAN":
			return math.NaN()
		case ".inf", ".Inf", ".INF":
			return math.Inf(1)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return s
	case '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		switch s {
		case "+.inf", "+.Inf", "+.INF":
			return math.Inf(1)
		case "-.inf", "-.Inf", "-.INF":
			return math.Inf(-1)
		}
		if !maybeNumber(s) {
			return s // quantities such as 500m and 256Mi, versions, dates
		}
		plain := strings.ReplaceAll(s, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return u
		}
		if isYAMLFloat(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return f
			}
		}
	}
	return s
}

// maybeNumber is a quick test that skips the number parsers (and the
// errors they allocate) for strings that cannot be numbers.
func maybeNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == '+', c == '-', c == '.', c == '_', c == 'x', c == 'X', c == 'o', c == 'O':
		default:
			return false
		}
	}
	return true
}

// isYAMLFloat matches yaml.v2's ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
func isYAMLFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// jsonValue makes a resolved scalar into what kubectl would send: its YAML is
// turned into JSON and back, so a whole float such as 1.0 comes back as the
// integer 1 and an integer beyond int64 as a float. NaN and infinities have
// no JSON form.
func jsonValue(v any, at mark) (any, error) {
	switch v := v.(type) {
	case uint64:
		return float64(v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errorAt(at, "NaN and infinite numbers cannot be sent to Kubernetes (JSON has no form for them)")
		}
		if v == math.Trunc(v) && v >= -(1<<63) && v < 1<<63 {
			return int64(v), nil
		}
		return v, nil
	}
	return v, nil
}
