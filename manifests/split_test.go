package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitDocuments(t *testing.T) {
	type doc struct {
		Doc, Line int
		Data      string
	}
	tests := []struct {
		name  string
		input string
		want  []doc
	}{
		{"empty", "", []doc{{1, 1, ""}}},
		{"no marker", "a: 1\n", []doc{{1, 1, "a: 1\n"}}},
		{"leading marker", "---\na: 1\n", []doc{{1, 1, "---\na: 1\n"}}},
		{"comment preamble joins the first document", "# c\n\n---\na: 1\n", []doc{{1, 1, "# c\n\n---\na: 1\n"}}},
		{"content preamble is a document", "a: 1\n---\nb: 2\n", []doc{{1, 1, "a: 1\n"}, {2, 2, "---\nb: 2\n"}}},
		{"marker with content and comment", "--- |\n  x\n--- # c\n", []doc{{1, 1, "--- |\n  x\n"}, {2, 3, "--- # c\n"}}},
		{"not markers", "a: |\n  ---\n---x: 1\n----\n", []doc{{1, 1, "a: |\n  ---\n---x: 1\n----\n"}}},
		{"trailing marker without newline", "a: 1\n---", []doc{{1, 1, "a: 1\n"}, {2, 2, "---"}}},
		{"CR and CRLF breaks", "a: 1\r---\r\nb: 2\r\n", []doc{{1, 1, "a: 1\r"}, {2, 2, "---\r\nb: 2\r\n"}}},
		{"Unicode line breaks count as YAML counts them", "a: 1\u2028b: 2\u0085---\n", []doc{{1, 1, "a: 1\u2028b: 2\u0085"}, {2, 3, "---\n"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []doc
			for _, c := range splitDocuments([]byte(tc.input)) {
				got = append(got, doc{c.doc, c.line, string(c.data)})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLineIndex(t *testing.T) {
	text := []byte("ab\r\ncd\ré\u2028x")
	ix := newLineIndex(text)
	tests := []struct {
		off  int
		want mark
	}{
		{0, mark{1, 1}}, {1, mark{1, 2}}, {4, mark{2, 1}}, {7, mark{3, 1}}, {9, mark{3, 2}}, {12, mark{4, 1}}, {13, mark{4, 2}},
	}
	for _, tc := range tests {
		if got := ix.pos(text, tc.off); got != tc.want {
			t.Errorf("pos(%d) = %v, want %v", tc.off, got, tc.want)
		}
	}
}
