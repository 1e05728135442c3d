package manifests

import (
	"bytes"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// kubectl's YAML 1.1 parser refuses a tab where it looks for the next token
// in block context: in the indentation of a line (blank and comment lines
// included) and after a "- " or "? " indicator there. kapply's parser takes
// it as white space, so without this check kapply would accept files that
// kubectl refuses. Tabs inside scalars and inside [ ] or { } are content or
// allowed by both.

// badTab returns the chunk-relative position of the first such tab.
func badTab(c *chunk, root *yaml.Node) (mark, bool) {
	if bytes.IndexByte(c.data, '\t') < 0 {
		return mark{}, false
	}
	lines := newLineIndex(c.data)
	var order []*yaml.Node
	var size []int // of each node's subtree, itself included
	var collect func(n *yaml.Node)
	collect = func(n *yaml.Node) {
		k := len(order)
		order = append(order, n)
		size = append(size, 0)
		for _, e := range n.Content {
			collect(e)
		}
		size[k] = len(order) - k
	}
	if root != nil {
		collect(root)
	}
	skip := make(map[int]bool) // lines whose leading tabs are content
	for k, n := range order {
		if !spansLines(c.data, lines, n) {
			continue
		}
		next := len(lines) + 1
		for _, m := range order[k+size[k]:] {
			if m.Line > n.Line {
				next = m.Line
				break
			}
		}
		for l := n.Line + 1; l < next; l++ {
			skip[l] = true
		}
	}
	for l := 1; l <= len(lines); l++ {
		if skip[l] {
			continue
		}
		i := lines[l-1]
		end, _ := nextLine(c.data, i)
		for i < end {
			switch c.data[i] {
			case ' ':
				i++
				continue
			case '\t':
				return lines.pos(c.data, i), true
			case '-', '?':
				if i+1 < end && (c.data[i+1] == ' ' || c.data[i+1] == '\t') {
					i++
					continue
				}
			}
			break
		}
	}
	return mark{}, false
}

// spansLines reports whether n may continue on the lines after its first
// one with text of its own: a block, quoted or multi-line plain scalar, or a
// flow collection.
func spansLines(data []byte, lines lineIndex, n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return n.Style&yaml.FlowStyle != 0
	case yaml.ScalarNode:
	default:
		return false
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return true
	}
	if n.Line < 1 || n.Line > len(lines) {
		return true
	}
	i := lines[n.Line-1]
	end, _ := nextLine(data, i)
	for col := 1; col < n.Column && i < end; col++ {
		_, size := utf8.DecodeRune(data[i:])
		i += size
	}
	return !bytes.Contains(data[i:end], []byte(n.Value))
}
