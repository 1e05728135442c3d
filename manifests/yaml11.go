package manifests

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// kubectl parses YAML with yaml.v2, which scans by YAML 1.1 rules; kapply's
// parser scans by YAML 1.2. Where the two cut the same text into different
// tokens, a document is refused rather than read as one parser would and
// not the other (issue 18, row 5).

// checker11 walks a document's node tree as written (aliases not expanded).
type checker11 struct {
	c     *chunk
	lines lineIndex
	flow  int // flow collections ([ ], { }) the node is in
}

// check11 refuses the first node of the tree that YAML 1.1 scans
// differently: a plain scalar holding "?" inside [ ] or { } (a mapping key
// indicator to YAML 1.1), a tag followed directly by , [ ] { or } (part of the tag
// to YAML 1.1), and anchor or alias names beyond letters, digits, _ and -
// (an error in YAML 1.1).
func check11(c *chunk, root *yaml.Node) error {
	k := &checker11{c: c}
	return k.walk(root, 0)
}

func (k *checker11) walk(n *yaml.Node, depth int) error {
	if depth > maxDepth {
		return nil // the converter refuses it
	}
	if err := k.node(n); err != nil {
		return err
	}
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return nil
	}
	if n.Style&yaml.FlowStyle != 0 {
		k.flow++
		defer func() { k.flow-- }()
	}
	for _, e := range n.Content {
		if err := k.walk(e, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (k *checker11) at(n *yaml.Node) mark { return k.c.at(mark{n.Line, n.Column}) }

func (k *checker11) node(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		if !anchorName(n.Value) {
			return refuseAt(k.at(n), refusedScan11, "alias names may hold only letters, digits, _ and - (kubectl's YAML 1.1 parser reads no more of the name)")
		}
		return nil
	}
	if n.Anchor != "" && !anchorName(n.Anchor) {
		return refuseAt(k.at(n), refusedScan11, "anchor names may hold only letters, digits, _ and - (kubectl's YAML 1.1 parser reads no more of the name)")
	}
	if k.flow > 0 && n.Kind == yaml.ScalarNode && isPlain(n) && strings.Contains(n.Value, "?") {
		return refuseAt(k.at(n), refusedScan11, `a plain value holding "?" inside [ ] or { }: kubectl (YAML 1.1) ends the value there and reads "?" as a mapping key; quote the value`)
	}
	if n.Style&yaml.TaggedStyle != 0 || n.Tag == "!" {
		if stop := k.tagEnd(n); stop == ',' || stop == '[' || stop == ']' || stop == '{' || stop == '}' {
			return refuseAt(k.at(n), refusedScan11, "a tag followed directly by %q: kubectl (YAML 1.1) reads the %q as part of the tag; put a space after the tag", stop, stop)
		}
	}
	return nil
}

func anchorName(s string) bool {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9', b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// tagEnd finds the tag of n in the document's text and returns the
// character that ends it, or 0.
func (k *checker11) tagEnd(n *yaml.Node) rune {
	data := k.c.data
	if k.lines == nil {
		k.lines = newLineIndex(data)
	}
	if n.Line < 1 || n.Line > len(k.lines) {
		return 0
	}
	i := k.lines[n.Line-1]
	if n.Line == 1 && hasPrefix(data, bomUTF8) {
		i += len(bomUTF8) // the parser does not count it
	}
	for col := 1; col < n.Column && i < len(data); col++ {
		_, size := utf8.DecodeRune(data[i:])
		i += size
	}
	if i < len(data) && data[i] == '&' { // an anchor before the tag
		for i < len(data) && data[i] != ' ' && data[i] != '\t' && data[i] != '\n' {
			i++
		}
		for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
			i++
		}
	}
	if i >= len(data) || data[i] != '!' {
		return 0
	}
	for i < len(data) {
		r, size := utf8.DecodeRune(data[i:])
		switch r {
		case ' ', '\t', '\n', '\r', ',', '[', ']', '{', '}':
			return r
		}
		i += size
	}
	return 0
}

// anchorName12 returns the offset of an anchor or alias ("&name", "*name"
// at the start of a token) whose name holds characters YAML 1.1 ends a name
// at, or -1.
func anchorName12(data []byte) int {
	for i := 0; i < len(data); i++ {
		if data[i] != '&' && data[i] != '*' {
			continue
		}
		if i > 0 {
			switch data[i-1] {
			case ' ', '\t', '\n', '\r', '[', '{', ',':
			default:
				continue
			}
		}
		j := i + 1
		for j < len(data) {
			switch data[j] {
			case ' ', '\t', '\n', '\r', ',', '[', ']', '{', '}':
			default:
				j++
				continue
			}
			break
		}
		if j > i+1 && !anchorName(string(data[i+1:j])) {
			return i
		}
	}
	return -1
}
