package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// JSON gets a decoder of its own rather than going through the YAML parser:
// JSON escapes such as "\ud83d\ude00" (surrogate pairs) are not valid YAML,
// and kubectl accepts a stream of JSON values one after another, which YAML
// does not.

// jsonDoc is one top-level value of a JSON stream.
type jsonDoc struct {
	off, end int // byte span in the text
}

// splitJSON cuts text into its top-level JSON values. ok is false if text is
// not a JSON stream, and the caller then reads it as YAML (a flow-style YAML
// mapping also starts with "{").
func splitJSON(text []byte) (docs []jsonDoc, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	for {
		start := skipJSONSpace(text, int(dec.InputOffset()))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, true
		}
		if err != nil {
			return nil, false
		}
		docs = append(docs, jsonDoc{off: start, end: int(dec.InputOffset())})
	}
}

func skipJSONSpace(text []byte, i int) int {
	for i < len(text) {
		switch text[i] {
		case ' ', '\t', '\n', '\r', ',', ':':
			i++
		default:
			return i
		}
	}
	return i
}

// looksLikeJSON reports whether text starts, after white space, like a JSON
// object or array.
func looksLikeJSON(text []byte) bool {
	i := skipJSONSpace(text, 0)
	return i < len(text) && (text[i] == '{' || text[i] == '[')
}

// jsonConverter builds the value of one JSON document, noting positions.
type jsonConverter struct {
	text  []byte
	base  int // offset of the document in text
	dec   *json.Decoder
	lines lineIndex
	marks *docMarks
	depth int
	// last is the previous token's offset and position: tokens come in
	// order, so counting columns on from it keeps a long single-line
	// (minified) document linear.
	lastOff int
	last    mark
}

func newJSONConverter(text []byte, d jsonDoc, lines lineIndex, marks *docMarks) *jsonConverter {
	dec := json.NewDecoder(bytes.NewReader(text[d.off:d.end]))
	dec.UseNumber()
	return &jsonConverter{text: text, base: d.off, dec: dec, lines: lines, marks: marks}
}

// next reads the next token and where it starts.
func (c *jsonConverter) next() (json.Token, mark, error) {
	off := skipJSONSpace(c.text, c.base+int(c.dec.InputOffset()))
	tok, err := c.dec.Token()
	return tok, c.pos(off), err
}

func (c *jsonConverter) pos(off int) mark {
	if c.last.known() && off >= c.lastOff {
		line := c.last.line
		if line < len(c.lines) && off >= c.lines[line] {
			c.last = c.lines.pos(c.text, off) // on a later line: count from its start
		} else {
			c.last.col += utf8.RuneCount(c.text[c.lastOff:off])
		}
	} else {
		c.last = c.lines.pos(c.text, off)
	}
	c.lastOff = off
	return c.last
}

func (c *jsonConverter) document() (any, error) {
	tok, at, err := c.next()
	if err != nil {
		return nil, errorAt(at, "invalid JSON")
	}
	return c.value(tok, at, inRoot, 0)
}

func (c *jsonConverter) value(tok json.Token, at mark, w where, idx int) (any, error) {
	switch t := tok.(type) {
	case json.Delim:
		c.depth++
		if c.depth > maxDepth {
			return nil, errorAt(at, "nested more than %d levels deep", maxDepth)
		}
		var v any
		var err error
		if t == '{' {
			v, err = c.object(w, idx)
		} else {
			v, err = c.array(w)
		}
		c.depth--
		return v, err
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, errorAt(at, "number is out of range")
		}
		return f, nil
	}
	return tok, nil // string, bool or nil
}

func (c *jsonConverter) object(w where, idx int) (any, error) {
	m := make(map[string]any)
	var keys map[string]mark
	for c.dec.More() {
		tok, at, err := c.next()
		if err != nil {
			return nil, errorAt(at, "invalid JSON")
		}
		key, _ := tok.(string)
		if keys == nil {
			keys = make(map[string]mark)
		}
		if first, dup := keys[key]; dup {
			return nil, errorAt(at, "duplicate key %q (first at line %d)", key, first.line)
		}
		keys[key] = at
		vw := c.marks.key(w, idx, key, at)
		tok, vat, err := c.next()
		if err != nil {
			return nil, errorAt(vat, "invalid JSON")
		}
		v, err := c.value(tok, vat, vw, idx)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	if _, at, err := c.next(); err != nil { // the closing brace
		return nil, errorAt(at, "invalid JSON")
	}
	return m, nil
}

func (c *jsonConverter) array(w where) (any, error) {
	s := []any{}
	for i := 0; c.dec.More(); i++ {
		tok, at, err := c.next()
		if err != nil {
			return nil, errorAt(at, "invalid JSON")
		}
		v, err := c.value(tok, at, c.marks.elem(w, i, at), i)
		if err != nil {
			return nil, err
		}
		s = append(s, v)
	}
	if _, at, err := c.next(); err != nil { // the closing bracket
		return nil, errorAt(at, "invalid JSON")
	}
	return s, nil
}
