package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode"
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

// jsonLookahead is how far kubectl looks for the "{" that makes it read an
// input as JSON (kubectl's NewYAMLOrJSONDecoder(r, 4096)).
const jsonLookahead = 4096

// looksLikeJSON reports whether kubectl reads text as JSON first: the first
// character that is not white space, within its first 4096 bytes, is "{".
func looksLikeJSON(text []byte) bool {
	head := text[:min(len(text), jsonLookahead)]
	return bytes.HasPrefix(bytes.TrimLeftFunc(head, unicode.IsSpace), []byte("{"))
}

// splitJSON cuts text into its top-level JSON values as kubectl's
// YAMLOrJSONDecoder does: values one after another until the end, or, when
// one fails to parse after at most one good value, the rest of the text read
// as YAML from yamlFrom (white space up to the first line feed skipped). A
// value that fails after two good ones is an error.
func splitJSON(text []byte) (docs []jsonDoc, yamlFrom int, fail *textError) {
	dec := json.NewDecoder(bytes.NewReader(text))
	consumed := 0
	for {
		var raw json.RawMessage
		derr := dec.Decode(&raw)
		if errors.Is(derr, io.EOF) {
			return docs, len(text), nil
		}
		if derr != nil {
			if len(docs) > 1 {
				off := len(text)
				var se *json.SyntaxError
				if errors.As(derr, &se) {
					off = max(int(se.Offset)-1, consumed)
				}
				return docs, 0, &textError{off, "invalid JSON (after two JSON values kubectl reads the rest of the input as JSON too)"}
			}
			return docs, skipFirstLineSpace(text, consumed), nil
		}
		end := int(dec.InputOffset())
		docs = append(docs, jsonDoc{off: skipJSONSpace(text, consumed), end: end})
		consumed = end
	}
}

// skipFirstLineSpace skips white space from i up to and including the first
// line feed, as kubectl does before reading YAML after JSON.
func skipFirstLineSpace(text []byte, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRune(text[i:])
		if !unicode.IsSpace(r) {
			return i
		}
		i += size
		if r == '\n' {
			return i
		}
	}
	return i
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
