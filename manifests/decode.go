package manifests

import (
	"errors"
	"fmt"
	"slices"
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

// decodeOptions are settings for tests only.
type decodeOptions struct {
	// kubectlKeys spells plain mapping keys as kubectl does ("on:" becomes
	// "true"), so that the differential test can compare objects exactly.
	kubectlKeys bool
}

func decode(path string, data []byte) ([]decoded, error) {
	return decodeWith(path, data, decodeOptions{})
}

func decodeWith(path string, data []byte, opts decodeOptions) ([]decoded, error) {
	text, bom, terr := toText(data)
	utf16 := bom && !hasPrefix(data, bomUTF8)
	if terr != nil {
		return nil, textFailure(path, text, terr)
	}
	ix := newLineIndex(text)
	var docs []parsedDoc
	var errs []error
	yamlFrom, jsonDocs := 0, 0
	if !bom && looksLikeJSON(text) {
		spans, from, fail := splitJSON(text)
		if fail != nil {
			at := ix.pos(text, min(fail.off, len(text)))
			return nil, &DecodeError{Source: Source{Path: path, Doc: len(spans) + 1}, Line: at.line, Col: at.col, Err: errors.New(fail.msg)}
		}
		docs, errs = parseJSON(path, text, ix, spans)
		yamlFrom, jsonDocs = from, len(spans)
	}
	if yamlFrom < len(text) || jsonDocs == 0 {
		ydocs, yerrs := parseYAML(path, text, ix, yamlFrom, jsonDocs, encoding{bom, utf16}, opts)
		docs, errs = append(docs, ydocs...), append(errs, yerrs...)
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
// line and column. The input is refused as unsafe: kubectl may read it (JSON
// takes invalid UTF-8 and DEL), but not as the text the user sees.
func textFailure(path string, text []byte, e *textError) error {
	doc := 1
	ix := newLineIndex(text)
	for _, c := range splitDocuments(text, ix, 0) {
		if c.off <= e.off {
			doc = c.doc
		}
	}
	at := ix.pos(text, min(e.off, len(text)))
	return &DecodeError{Source: Source{Path: path, Doc: doc}, Line: at.line, Col: at.col, Err: refused(refusedUnsafe, "%s", e.msg)}
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

func tooLarge(size int) string {
	return fmt.Sprintf("document is %d bytes, over the limit of %d (3 MiB) for one Kubernetes API request", size, MaxDocumentBytes)
}

// encoding is what toText found: a byte order mark, and UTF-16.
type encoding struct{ bom, utf16 bool }

// parseYAML parses the YAML part of an input, from byte from on, numbering
// its documents after the JSON values before it.
func parseYAML(path string, text []byte, ix lineIndex, from, docBase int, enc encoding, opts decodeOptions) ([]parsedDoc, []error) {
	var docs []parsedDoc
	var errs []error
	chunks := splitDocuments(text, ix, from)
	if enc.utf16 {
		// kubectl's reader cuts documents at line feed bytes, which UTF-16
		// text does not hold: its parser reads the whole file as one
		// stream, keeping only the first document.
		chunks = []chunk{{doc: 1, line: 1, size: len(text), data: kubectlLines(text), addedLF: len(text) > 0 && text[len(text)-1] != '\n', utf16: true}}
	}
	results := make([]chunkResult, len(chunks))
	forEachChunk(len(chunks), func(i int) {
		c := chunks[i]
		c.doc += docBase
		results[i] = parseYAMLChunk(path, c, enc, opts)
	})
	for _, r := range results {
		errs = append(errs, r.errs...)
		if r.ok {
			docs = append(docs, r.doc)
		}
	}
	return docs, errs
}

// chunkResult is what one document of a YAML input came to: a parsed
// document (ok), or errors, or nothing (an empty or null document).
type chunkResult struct {
	doc  parsedDoc
	ok   bool
	errs []error
}

// parseYAMLChunk parses and converts one document of a YAML input.
func parseYAMLChunk(path string, c chunk, enc encoding, opts decodeOptions) chunkResult {
	start := c.at(mark{1, 1})
	var out chunkResult
	fail := func(e *posError) chunkResult {
		out.errs = append(out.errs, docError(path, c.doc, start, e))
		return out
	}
	if c.sepErr != nil {
		return fail(c.sepErr)
	}
	if c.size > MaxDocumentBytes {
		return fail(refuseAt(start, refusedUnsafe, "%s", tooLarge(c.size)))
	}
	if hasPrefix(c.data, bomUTF8+bomUTF8) || enc.bom && c.off == 0 && hasPrefix(c.data, bomUTF8) {
		return fail(refuseAt(start, refusedUnsafe, "two byte order marks (U+FEFF) start this document: kubectl misreads the lines after them; remove one"))
	}
	if off, r := checkYAMLText(c.data); off >= 0 {
		return fail(refuseAt(c.at(newLineIndex(c.data).pos(c.data, off)), refusedUnsafe,
			"control character U+%04X is not allowed in YAML; write it as an escape in a double-quoted string", r))
	}
	root, perr := parseChunk(c)
	if perr != nil {
		return fail(perr)
	}
	if at, bad := badTab(&c, root); bad {
		return fail(errorAt(c.at(at), "a tab in indentation (or after \"- \"): kubectl refuses it, YAML indents with spaces; replace it with spaces"))
	}
	if root == nil {
		return out
	}
	if err := check11(&c, root); err != nil {
		return fail(asPosError(err, start))
	}
	d := parsedDoc{doc: c.doc}
	conv := &yamlConverter{chunk: &c, marks: &d.marks, kubectlKeys: opts.kubectlKeys}
	d.marks.top.start = conv.at(root)
	v, err := conv.value(root, inRoot, 0)
	if err != nil {
		out.errs = append(out.errs, docError(path, c.doc, d.marks.top.start, asPosError(err, d.marks.top.start)))
		return out
	}
	if v == nil {
		return out // a null document, skipped like an empty one (kubectl does too)
	}
	d.value = v
	if err := checkMapping(v, d.marks.top.start); err != nil {
		out.errs = append(out.errs, docError(path, c.doc, d.marks.top.start, err))
		return out
	}
	return chunkResult{doc: d, ok: true}
}

// at turns a position in the chunk into one in the input.
func (c *chunk) at(rel mark) mark {
	if rel.line == 1 {
		rel.col += c.col
	}
	return mark{rel.line + c.line - 1, rel.col}
}

func parseJSON(path string, text []byte, lines lineIndex, spans []jsonDoc) ([]parsedDoc, []error) {
	var docs []parsedDoc
	var errs []error
	for k, s := range spans {
		d := parsedDoc{doc: k + 1}
		start := lines.pos(text, s.off)
		if size := s.end - s.off; size > MaxDocumentBytes {
			errs = append(errs, docError(path, d.doc, start, refuseAt(start, refusedUnsafe, "%s", tooLarge(size))))
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
