package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSplitDocuments checks that documents are cut where kubectl's reader
// cuts them, with the line feeds kubectl's parser sees.
func TestSplitDocuments(t *testing.T) {
	type doc struct {
		Doc, Line int
		Data      string
		SepErr    bool
	}
	tests := []struct {
		name  string
		input string
		want  []doc
	}{
		{"empty", "", nil},
		{"no marker", "a: 1\n", []doc{{1, 1, "a: 1\n", false}}},
		{"no final line feed: kubectl adds one", "a: |\n  x", []doc{{1, 1, "a: |\n  x\n", false}}},
		{"leading marker: kept, as kubectl keeps it", "---\na: 1\n", []doc{{1, 1, "---\na: 1\n", false}}},
		{"comment preamble is no document of its own", "# c\n\n---\na: 1\n", []doc{{1, 1, "# c\n\n", false}, {1, 4, "a: 1\n", false}}},
		{"content preamble is a document", "a: 1\n---\nb: 2\n", []doc{{1, 1, "a: 1\n", false}, {2, 3, "b: 2\n", false}}},
		{"directive preamble is a document, as kubectl reads it", "%YAML 1.1\n---\na: 1\n", []doc{{1, 1, "%YAML 1.1\n", false}, {2, 3, "a: 1\n", false}}},
		{"marker with a comment, and a marker with content", "--- # c\na: 1\n--- |\n  x\n", []doc{{1, 1, "--- # c\na: 1\n", false}, {2, 4, "  x\n", true}}},
		{"kubectl separators YAML would not call markers", "a: 1\n---# c\nb: 1\n----\n", []doc{{1, 1, "a: 1\n", false}, {2, 3, "b: 1\n", false}, {3, 5, "", true}}},
		{"not markers", "a: |\n  ---\n", []doc{{1, 1, "a: |\n  ---\n", false}}},
		{"empty documents keep their numbers", "---\n---\n\n---\nb: 2\n", []doc{{1, 1, "---\n", false}, {2, 3, "\n", false}, {3, 5, "b: 2\n", false}}},
		{"trailing marker without newline", "a: 1\n---", []doc{{1, 1, "a: 1\n", false}, {2, 2, "", false}}},
		{"CRLF breaks: the CR is dropped", "a: 1\r\n---\r\nb: 2\r\n", []doc{{1, 1, "a: 1\n", false}, {2, 3, "b: 2\n", false}}},
		{"only line feeds separate", "a: 1\r---\rb: 2\u2028---\n", []doc{{1, 1, "a: 1\r---\rb: 2\u2028---\n", false}}},
		{"BOM after a separator that ends a document starts the next", "a: 1\n---\n\ufeffb: 1\n", []doc{{1, 1, "a: 1\n", false}, {2, 3, "\ufeffb: 1\n", false}}},
		{"a separator right after another is kept", "a: 1\n---\n---\nb: 1\n", []doc{{1, 1, "a: 1\n", false}, {2, 3, "", false}, {3, 3, "---\nb: 1\n", false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []doc
			text := []byte(tc.input)
			for _, c := range splitDocuments(text, newLineIndex(text), 0) {
				got = append(got, doc{c.doc, c.line, string(c.data), c.sepErr != nil})
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
