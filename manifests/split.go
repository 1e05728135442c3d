package manifests

// chunk is the text of one YAML document: from its "---" line (kept, so that
// the parser sees an explicit document and its line numbers need only an
// offset) to the next one.
type chunk struct {
	doc  int // 1-based document number
	line int // line of the input where the chunk starts
	off  int // byte offset of the chunk in the input
	data []byte
}

// splitDocuments cuts text at its document markers: a line that starts with
// "---" followed by a space, a tab or the end of the line. YAML forbids such a
// line inside any scalar, so cutting before parsing is exact, and it lets each
// document be size-checked before it is parsed and fail on its own without
// hiding the errors of the others.
//
// Text before the first marker is a document only if it has content; if it
// holds nothing but comments, blank lines and directives it belongs to the
// first marked document, as YAML says, and numbering starts at that marker.
func splitDocuments(text []byte) []chunk {
	type marker struct{ off, line int }
	var marks []marker
	line := 1
	for i := 0; i < len(text); line++ {
		if isDocStart(text, i) {
			marks = append(marks, marker{i, line})
		}
		_, i = nextLine(text, i)
	}
	if len(marks) == 0 {
		return []chunk{{doc: 1, line: 1, off: 0, data: text}}
	}
	chunks := make([]chunk, 0, len(marks)+1)
	if marks[0].off > 0 {
		if hasContent(text[:marks[0].off]) {
			chunks = append(chunks, chunk{line: 1, off: 0, data: text[:marks[0].off]})
		} else {
			marks[0] = marker{0, 1}
		}
	}
	for k, m := range marks {
		end := len(text)
		if k+1 < len(marks) {
			end = marks[k+1].off
		}
		chunks = append(chunks, chunk{line: m.line, off: m.off, data: text[m.off:end]})
	}
	for k := range chunks {
		chunks[k].doc = k + 1
	}
	return chunks
}

// isDocStart reports whether the line at text[i] is a document marker.
func isDocStart(text []byte, i int) bool {
	if len(text)-i < 3 || text[i] != '-' || text[i+1] != '-' || text[i+2] != '-' {
		return false
	}
	j := i + 3
	return j == len(text) || text[j] == ' ' || text[j] == '\t' || lineBreak(text, j) > 0
}

// hasContent reports whether text has a line that is not blank, a comment or
// a directive.
func hasContent(text []byte) bool {
	for i := 0; i < len(text); {
		end, next := nextLine(text, i)
		j := i
		for j < end && (text[j] == ' ' || text[j] == '\t') {
			j++
		}
		if j < end && text[j] != '#' && !(j == i && text[j] == '%') {
			return true
		}
		i = next
	}
	return false
}
