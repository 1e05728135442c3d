package manifests

import (
	"bytes"
	"strings"
)

// chunk is the text of one YAML document as kubectl cuts it: the lines
// between two separator lines (the opening separator line included when no
// line came since the one before).
type chunk struct {
	doc  int // 1-based document number
	line int // line of the input where the chunk starts
	col  int // characters of that line before the chunk (after a JSON value)
	off  int // byte offset of the chunk in the input
	size int // its size in the input
	// data is what kubectl hands the YAML parser for this document: each
	// line ends with a line feed, a carriage return before it dropped (so
	// line and column numbers do not move), a final line feed added.
	data     []byte
	addedLF  bool // the input's last line has no line break: data has one added
	preamble bool // comments before the first separator: no document of its own
	utf16    bool // the whole of a UTF-16 file, which kubectl does not cut
	// sepErr is set when the separator line opening the chunk is one kubectl
	// refuses ("--- x"): the chunk is still cut there, to check what follows.
	sepErr *posError
}

// splitDocuments cuts text where kubectl's reader (apimachinery's
// YAMLReader) does, so that every document is the one kubectl reads: at a
// line that starts with "---" and holds nothing else but spaces or a
// comment, lines being ended by a line feed only. Where YAML would start a
// document and kubectl would not (after "..." or a "---" after a CR, NEL, LS
// or PS line break) the parser finds two documents in one chunk, which is
// refused, since kubectl silently keeps only the first.
//
// Text before the first separator is a document only if it has content; if
// it holds nothing but comments and blank lines it is no document, and
// numbering starts at that separator. Every separator starts a document,
// empty ones included, so numbers match what a reader counts.
func splitDocuments(text []byte, ix lineIndex, start int) []chunk {
	var chunks []chunk
	at := ix.pos(text, start)
	cur := chunk{line: at.line, col: at.col - 1, off: start}
	empty := true // no line read since the last separator
	flush := func(end int) {
		cur.size = end - cur.off
		cur.data = kubectlLines(text[cur.off:end])
		cur.addedLF = end > cur.off && text[end-1] != '\n'
		chunks = append(chunks, cur)
	}
	for i := start; i < len(text); {
		end, next := len(text), len(text)
		if k := bytes.IndexByte(text[i:], '\n'); k >= 0 {
			end, next = i+k, i+k+1
		}
		line := text[i:end]
		if !bytes.HasPrefix(line, []byte("---")) {
			empty = false
			i = next
			continue
		}
		// kubectl's reader ends a document at a separator when it has read
		// lines since the last one; otherwise (at the start, or right after
		// another separator) the separator line goes into the document it
		// opens, and its parser reads it as a document start marker or, if
		// it is not one ("---#c"), as content.
		if cur.doc > 0 || !empty {
			// Text before the first separator with no content is still
			// read (kubectl's parser may fail on it) but numbered with
			// the document that follows.
			cur.preamble = cur.doc == 0 && !hasContent(text[cur.off:i])
			flush(i)
		}
		cur = chunk{doc: 1, line: ix.pos(text, next).line, off: next}
		if empty {
			cur.line, cur.off = ix.pos(text, i).line, i
		}
		empty = !empty
		if rest := strings.TrimSpace(string(line[3:])); rest != "" && rest[0] != '#' {
			sep := ix.pos(text, i)
			cur.sepErr = errorAt(mark{sep.line, sep.col + 3},
				`text after "---" on a separator line: kubectl refuses it (only a comment may follow "---"); put it on the next line`)
		}
		if next == len(text) && end == len(text) {
			cur.line = ix.pos(text, i).line // the last line, with no break
		}
		i = next
	}
	if cur.doc > 0 || !empty {
		cur.preamble = cur.doc == 0 && !hasContent(text[cur.off:])
		flush(len(text))
	}
	n := 0
	for k := range chunks {
		if !chunks[k].preamble {
			n++
		}
		chunks[k].doc = max(n, 1)
		if chunks[k].preamble && k+1 < len(chunks) {
			chunks[k].doc = n + 1
		}
	}
	return chunks
}

// kubectlLines gives text as kubectl's line reader passes it on: a carriage
// return before a line feed dropped, and a line feed after the last line.
// Without carriage returns it is text itself, not copied.
func kubectlLines(text []byte) []byte {
	if len(text) == 0 {
		return nil
	}
	if bytes.Contains(text, []byte("\r\n")) {
		text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	}
	if text[len(text)-1] != '\n' {
		text = append(text[:len(text):len(text)], '\n')
	}
	return text
}

// isDocStart reports whether the line at text[i] is a YAML document marker.
func isDocStart(text []byte, i int) bool {
	if len(text)-i < 3 || text[i] != '-' || text[i+1] != '-' || text[i+2] != '-' {
		return false
	}
	j := i + 3
	return j == len(text) || text[j] == ' ' || text[j] == '\t' || lineBreak(text, j) > 0
}

// hasContent reports whether text has a line that is not blank or a comment
// indented with spaces only (kubectl's parser refuses a tab there).
func hasContent(text []byte) bool {
	for i := 0; i < len(text); {
		end, next := nextLine(text, i)
		j := i
		for j < end && text[j] == ' ' {
			j++
		}
		if j < end && text[j] != '#' {
			return true
		}
		i = next
	}
	return false
}
