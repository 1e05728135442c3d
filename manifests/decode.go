package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"
)

// MaxDocumentBytes is the size above which a document is refused: the API
// server takes at most 3 MiB in one request, so a larger object could never
// be applied, and refusing it before parsing bounds the parser's memory.
const MaxDocumentBytes = 3 << 20

// parsedDoc is one non-empty document of an input, before List flattening
// and validation.
type parsedDoc struct {
	doc   int
	value any
	marks docMarks
}

// decoded is an Object with the positions validation reports against.
type decoded struct {
	Object
	marks objMarks
}

// Decode decodes, flattens and validates one input: YAML (multi-document) or
// JSON (one value or a stream of them), in UTF-8 or UTF-16 with a byte order
// mark. path is only used to name the input in Sources and errors (and to
// recognise kustomization.yaml). Everything Read checks is checked here
// except what needs all inputs at once: duplicates across inputs and the
// total size.
//
// The result is every object, or nil and an error; the error joins one
// *DecodeError per problem found, with independent documents checked on.
func Decode(path string, data []byte) ([]Object, error) {
	ds, err := decode(path, data)
	if err != nil {
		return nil, err
	}
	objs := make([]Object, len(ds))
	for i, d := range ds {
		objs[i] = d.Object
	}
	return objs, nil
}

func decode(path string, data []byte) ([]decoded, error) {
	text, terr := toText(data)
	if terr != nil {
		return nil, textFailure(path, text, terr)
	}
	var docs []parsedDoc
	var errs []error
	if looksLikeJSON(text) {
		if spans, ok := splitJSON(text); ok {
			docs, errs = parseJSON(path, text, spans)
		} else {
			docs, errs = parseYAML(path, text)
		}
	} else {
		docs, errs = parseYAML(path, text)
	}
	var out []decoded
	for _, d := range docs {
		objs, ferrs := flatten(path, d)
		errs = append(errs, ferrs...)
		for _, o := range objs {
			if verrs := validate(o); len(verrs) > 0 {
				errs = append(errs, verrs...)
				continue
			}
			out = append(out, o)
		}
	}
	errs = append(errs, checkDuplicates(out)...)
	if len(errs) > 0 {
		sortByPosition(errs)
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// sortByPosition puts errors in the order of the input, as a reader fixing
// them goes: parsing, List and validation problems are found in passes.
func sortByPosition(errs []error) {
	pos := func(err error) [3]int {
		var de *DecodeError
		if errors.As(err, &de) {
			return [3]int{de.Source.Doc, de.Line, de.Col}
		}
		return [3]int{}
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		pa, pb := pos(a), pos(b)
		return slices.Compare(pa[:], pb[:])
	})
}

// textFailure locates an encoding problem: the document it is in, and its
// line and column.
func textFailure(path string, text []byte, e *textError) error {
	doc := 1
	for _, c := range splitDocuments(text) {
		if c.off <= e.off {
			doc = c.doc
		}
	}
	at := newLineIndex(text).pos(text, min(e.off, len(text)))
	return &DecodeError{Source: Source{Path: path, Doc: doc}, Line: at.line, Col: at.col, Err: errors.New(e.msg)}
}

func docError(path string, doc int, start mark, e *posError) *DecodeError {
	at := e.at
	if !at.known() {
		at = start
	}
	if !at.known() {
		at = mark{1, 1}
	}
	return &DecodeError{Source: Source{Path: path, Doc: doc, Line: start.line}, Line: at.line, Col: at.col, Err: e.err}
}

func asPosError(err error, at mark) *posError {
	var pe *posError
	if errors.As(err, &pe) {
		return pe
	}
	return &posError{at, err}
}

func tooLarge(size int) error {
	return fmt.Errorf("document is %d bytes, over the limit of %d (3 MiB) for one Kubernetes API request", size, MaxDocumentBytes)
}

func parseYAML(path string, text []byte) ([]parsedDoc, []error) {
	var docs []parsedDoc
	var errs []error
	for _, c := range splitDocuments(text) {
		start := mark{c.line, 1}
		if len(c.data) > MaxDocumentBytes {
			errs = append(errs, docError(path, c.doc, start, &posError{start, tooLarge(len(c.data))}))
			continue
		}
		root, perr := parseChunk(c)
		if perr != nil {
			errs = append(errs, docError(path, c.doc, start, perr))
			continue
		}
		if root == nil {
			continue
		}
		d := parsedDoc{doc: c.doc}
		conv := &yamlConverter{lineOff: c.line - 1, marks: &d.marks}
		d.marks.top.start = conv.at(root)
		v, err := conv.value(root, inRoot, 0)
		if err != nil {
			errs = append(errs, docError(path, c.doc, d.marks.top.start, asPosError(err, d.marks.top.start)))
			continue
		}
		if v == nil {
			continue // a null document, skipped like an empty one (kubectl does too)
		}
		d.value = v
		if err := checkMapping(v, d.marks.top.start); err != nil {
			errs = append(errs, docError(path, c.doc, d.marks.top.start, err))
			continue
		}
		docs = append(docs, d)
	}
	return docs, errs
}

// parseChunk parses one document. It returns nil for a document with no
// content: empty, a lone "---", or only comments.
func parseChunk(c chunk) (root *yaml.Node, perr *posError) {
	defer func() {
		// The parser is third-party code fed untrusted input: a bug in it
		// must fail this document, not the program.
		if r := recover(); r != nil {
			root, perr = nil, errorAt(mark{c.line, 1}, "the YAML parser failed on this document")
		}
	}()
	l, err := yaml.NewLoader(bytes.NewReader(c.data))
	if err != nil {
		return nil, errorAt(mark{c.line, 1}, "%w", err)
	}
	var doc yaml.Node
	if err := l.Load(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err, c)
	}
	var extra yaml.Node
	switch err := l.Load(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(err, c)
	default:
		return nil, errorAt(mark{extra.Line + c.line - 1, extra.Column}, `a second document starts here without a "---" line`)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlError turns a parser error into a position in the input and a message
// that does not repeat the parser's own position text.
func yamlError(err error, c chunk) *posError {
	var le *yaml.LoadError
	if !errors.As(err, &le) {
		return errorAt(mark{c.line, 1}, "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	m := le.Mark
	if m.Line == 0 {
		m = le.ContextMark
	}
	at := mark{c.line, 1}
	if m.Line > 0 {
		rel := mark{m.Line, max(m.Column, 1)}
		// The parser puts the end of the stream on a line after the last
		// one when the input does not end with a line break.
		if ix := newLineIndex(c.data); rel.line > len(ix) {
			rel = ix.pos(c.data, len(c.data))
		}
		at = mark{rel.line + c.line - 1, rel.col}
	}
	return errorAt(at, "invalid YAML: %s", le.Message)
}

func parseJSON(path string, text []byte, spans []jsonDoc) ([]parsedDoc, []error) {
	var docs []parsedDoc
	var errs []error
	lines := newLineIndex(text)
	for k, s := range spans {
		d := parsedDoc{doc: k + 1}
		start := lines.pos(text, s.off)
		if size := s.end - s.off; size > MaxDocumentBytes {
			errs = append(errs, docError(path, d.doc, start, &posError{start, tooLarge(size)}))
			continue
		}
		d.marks.top.start = start
		v, err := newJSONConverter(text, s, lines, &d.marks).document()
		if err != nil {
			errs = append(errs, docError(path, d.doc, start, asPosError(err, start)))
			continue
		}
		if v == nil {
			continue
		}
		d.value = v
		if err := checkMapping(v, start); err != nil {
			errs = append(errs, docError(path, d.doc, start, err))
			continue
		}
		docs = append(docs, d)
	}
	return docs, errs
}

// checkMapping refuses a document that is not a mapping: it cannot be a
// Kubernetes object.
func checkMapping(v any, at mark) *posError {
	if _, ok := v.(map[string]any); ok {
		return nil
	}
	return errorAt(at, "a document must be a mapping with apiVersion, kind and metadata, not %s", describe(v))
}

// describe names the type of a value without showing it.
func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a sequence"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}
