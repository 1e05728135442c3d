package manifests

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"go.yaml.in/yaml/v4"
)

// parseChunk parses one document. It returns nil for a document with no
// content: empty, or only comments.
func parseChunk(c chunk) (root *yaml.Node, perr *posError) {
	defer func() {
		// The parser is third-party code fed untrusted input: a bug in it
		// must fail this document, not the program.
		if r := recover(); r != nil {
			root, perr = nil, errorAt(c.at(mark{1, 1}), "the YAML parser failed on this document")
		}
	}()
	l, err := yaml.NewLoader(bytes.NewReader(c.data))
	if err != nil {
		return nil, errorAt(c.at(mark{1, 1}), "%w", err)
	}
	if off := hiddenDocStart(c.data); off >= 0 {
		return nil, refuseAt(c.at(newLineIndex(c.data).pos(c.data, off)), refusedDroppedDocument,
			`this "---" follows a CR, NEL, LS or PS line break, not a line feed: kubectl would not start a document here and would silently drop everything up to the next "---" line; use LF line breaks`)
	}
	if off := leadingDocEnd(c.data); off >= 0 {
		return nil, errorAt(c.at(newLineIndex(c.data).pos(c.data, off)), `"..." ends a document that never started: kubectl fails on it; remove the line`)
	}
	var doc yaml.Node
	if err := l.Load(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		perr := yamlError(err, c)
		if off := anchorName12(c.data); off >= 0 {
			// An anchor name YAML 1.2 reads further than 1.1 does: the
			// parse failure follows from it, and kubectl reads it otherwise.
			return nil, refuseAt(c.at(newLineIndex(c.data).pos(c.data, off)), refusedScan11, "anchor and alias names may hold only letters, digits, _ and - (kubectl's YAML 1.1 parser reads no more of the name)")
		}
		var le *yaml.LoadError
		if errors.As(err, &le) && (le.Message == "did not find expected <document start>" || docEndBefore(c.data, perr.at.line-c.line+1) || flowRootParses(c.data)) && !directive(c.data) {
			// The first document ended and something that is not a
			// document follows: kubectl never reads that far.
			return nil, droppedDocument(c, perr.at)
		}
		return nil, perr
	}
	// kubectl's parser stops after the first document of what its reader
	// cut, and never looks at what follows, valid YAML or not.
	var extra yaml.Node
	switch err := l.Load(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, droppedDocument(c, yamlError(err, c).at)
	default:
		return nil, droppedDocument(c, c.at(mark{extra.Line, extra.Column}))
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// droppedDocument explains more YAML after the first document of what
// kubectl reads as one: kubectl parses only the first and silently drops
// the rest.
func droppedDocument(c chunk, extra mark) *posError {
	if c.utf16 {
		return refuseAt(extra, refusedDroppedDocument, "a second document in a UTF-16 file: kubectl would read only the first and silently drop the rest; convert the file to UTF-8")
	}
	return refuseAt(extra, refusedDroppedDocument, `more YAML follows the end of the document without a "---" line: kubectl would silently drop it; put a "---" line before it`)
}

// hiddenDocStart returns the offset of a document start marker that YAML
// sees and kubectl's reader does not (after a CR, NEL, LS or PS line
// break), or -1.
func hiddenDocStart(data []byte) int {
	for i := 0; i < len(data); {
		_, next := nextLine(data, i)
		if next < len(data) && data[next-1] != '\n' && isDocStart(data, next) {
			return next
		}
		if next == i {
			break
		}
		i = next
	}
	return -1
}

// yamlError turns a parser error into a position in the input and a message
// that does not repeat the parser's own position text.
func yamlError(err error, c chunk) *posError {
	var le *yaml.LoadError
	if !errors.As(err, &le) {
		return errorAt(c.at(mark{1, 1}), "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if directive(c.data) {
		return errorAt(c.at(mark{1, 1}), `a %%YAML or %%TAG directive is not supported: kubectl reads it as a document of its own and fails; remove the line`)
	}
	m := le.Mark
	if m.Line == 0 {
		m = le.ContextMark
	}
	at := c.at(mark{1, 1})
	if m.Line > 0 {
		rel := mark{m.Line, max(m.Column, 1)}
		// The parser puts the end of the stream on a line after the last
		// one when the input does not end with a line break.
		if ix := newLineIndex(c.data); c.addedLF && rel.line >= len(ix) && len(ix) > 1 {
			rel = ix.pos(c.data, len(c.data)-1)
		}
		at = c.at(rel)
	}
	if le.Message == "found a comment without preceding whitespace" {
		return refuseAt(at, refusedScan11, `a "#" right after a value: kubectl (YAML 1.1) reads it as the start of a comment, YAML 1.2 refuses it; put a space before "#"`)
	}
	if strings.HasSuffix(le.Message, "that is not allowed in a YAML tag") {
		return refuseAt(at, refusedScan11, "a tag holding , [ ] { or }: kubectl (YAML 1.1) reads them as part of the tag; remove them, or put a space after the tag")
	}
	return errorAt(at, "invalid YAML: %s", le.Message)
}

// docEndBefore reports whether data has a "..." or "---" line before line
// (1-based) that ends a document which parses on its own: kubectl's parser
// stops there, so an error after it is one kubectl never sees.
func docEndBefore(data []byte, line int) bool {
	n := 1
	for i := 0; i < len(data) && n <= line; n++ {
		end, next := nextLine(data, i)
		cut := -1
		if l := data[i:end]; bytes.HasPrefix(l, []byte("...")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t') {
			cut = i + 3
		} else if i > 0 && isDocStart(data, i) {
			cut = i
		}
		if cut >= 0 {
			var doc yaml.Node
			return yaml.Unmarshal(data[:cut], &doc) == nil && len(doc.Content) > 0
		}
		if next == i {
			break
		}
		i = next
	}
	return false
}

// leadingDocEnd returns the offset of a "..." document end marker that
// comes before any content in data, or -1.
func leadingDocEnd(data []byte) int {
	for i := 0; i < len(data); {
		end, next := nextLine(data, i)
		if l := data[i:end]; bytes.HasPrefix(l, []byte("...")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t') {
			return i
		}
		if hasContent(data[i:end]) || next == i {
			return -1
		}
		i = next
	}
	return -1
}

// directive reports whether the first line of data with content is a YAML
// directive.
func directive(data []byte) bool {
	for i := 0; i < len(data); {
		end, next := nextLine(data, i)
		if hasContent(data[i:end]) {
			return data[i] == '%'
		}
		i = next
	}
	return false
}
