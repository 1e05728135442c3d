package render

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func lines(ls ...string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     string
	}{
		{name: "equal", from: lines("a", "b"), to: lines("a", "b"), want: ""},
		{
			name: "new file",
			from: "", to: lines("a", "b"),
			want: "--- L\n+++ M\n@@ -0,0 +1,2 @@\n+a\n+b\n",
		},
		{
			name: "removed file",
			from: lines("a"), to: "",
			want: "--- L\n+++ M\n@@ -1 +0,0 @@\n-a\n",
		},
		{
			name: "one line changed in the middle, context of three",
			from: lines("1", "2", "3", "4", "5", "6", "7", "8", "9"),
			to:   lines("1", "2", "3", "4", "X", "6", "7", "8", "9"),
			want: "--- L\n+++ M\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n",
		},
		{
			name: "insertion at the start",
			from: lines("b", "c"),
			to:   lines("a", "b", "c"),
			want: "--- L\n+++ M\n@@ -1,2 +1,3 @@\n+a\n b\n c\n",
		},
		{
			name: "deletion at the end",
			from: lines("a", "b", "c"),
			to:   lines("a", "b"),
			want: "--- L\n+++ M\n@@ -1,3 +1,2 @@\n a\n b\n-c\n",
		},
		{
			name: "changes six lines apart share a hunk",
			from: lines("a", "1", "2", "3", "4", "5", "6", "b"),
			to:   lines("A", "1", "2", "3", "4", "5", "6", "B"),
			want: "--- L\n+++ M\n@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n",
		},
		{
			name: "changes seven lines apart make two hunks",
			from: lines("a", "1", "2", "3", "4", "5", "6", "7", "b"),
			to:   lines("A", "1", "2", "3", "4", "5", "6", "7", "B"),
			want: "--- L\n+++ M\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-b\n+B\n",
		},
		{
			name: "a pure insertion in the middle",
			from: lines("1", "2", "3", "4", "5", "6"),
			to:   lines("1", "2", "3", "new", "4", "5", "6"),
			want: "--- L\n+++ M\n@@ -1,6 +1,7 @@\n 1\n 2\n 3\n+new\n 4\n 5\n 6\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := unifiedDiff("L", "M", tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("unifiedDiff mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnifiedDiffApplies checks on random texts that every diff,
// applied to the old text, gives the new one.
func TestUnifiedDiffApplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a := randomLines(rng)
		b := mutate(rng, a)
		from, to := lines(a...), lines(b...)
		d, err := unifiedDiff("L", "M", from, to)
		if err != nil {
			t.Fatal(err)
		}
		got, err := patch(from, d)
		if err != nil {
			t.Fatalf("case %d: %v\nfrom:\n%sto:\n%sdiff:\n%s", i, err, from, to, d)
		}
		if got != to {
			t.Fatalf("case %d: patched text differs\nfrom:\n%sto:\n%sdiff:\n%sgot:\n%s", i, from, to, d, got)
		}
	}
}

func randomLines(rng *rand.Rand) []string {
	n := rng.IntN(30)
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a' + rng.IntN(5)))
	}
	return out
}

func mutate(rng *rand.Rand, a []string) []string {
	b := append([]string(nil), a...)
	for range rng.IntN(6) {
		switch pos := rng.IntN(len(b) + 1); rng.IntN(3) {
		case 0:
			b = append(b[:pos], append([]string{string(rune('a' + rng.IntN(5)))}, b[pos:]...)...)
		case 1:
			if pos < len(b) {
				b = append(b[:pos], b[pos+1:]...)
			}
		default:
			if pos < len(b) {
				b[pos] = string(rune('a' + rng.IntN(5)))
			}
		}
	}
	return b
}

// patch applies a unified diff strictly: hunk positions and context must
// match exactly.
func patch(from, diff string) (string, error) {
	if diff == "" {
		return from, nil
	}
	src := splitLines(from)
	dl := splitLines(diff)
	var out []string
	pos := 0
	for i := 2; i < len(dl); {
		var aStart, aLen, bStart, bLen int
		if _, err := fmt.Sscanf(normRange(dl[i]), "@@ -%d,%d +%d,%d @@", &aStart, &aLen, &bStart, &bLen); err != nil {
			return "", fmt.Errorf("bad hunk header %q: %v", dl[i], err)
		}
		if aLen > 0 {
			aStart--
		}
		if aStart < pos {
			return "", fmt.Errorf("hunk %q overlaps the previous one", dl[i])
		}
		out = append(out, src[pos:aStart]...)
		pos = aStart
		if len(out) != max(bStart-1, 0) && bLen > 0 {
			return "", fmt.Errorf("hunk %q: new side starts at line %d, have %d lines", dl[i], bStart, len(out))
		}
		gotA, gotB := 0, 0
		for i++; i < len(dl) && !strings.HasPrefix(dl[i], "@@"); i++ {
			l := dl[i]
			switch l[0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != l[1:] {
					return "", fmt.Errorf("line %d: %q does not match", pos+1, l)
				}
				pos++
				gotA++
				if l[0] == ' ' {
					out = append(out, l[1:])
					gotB++
				}
			case '+':
				out = append(out, l[1:])
				gotB++
			}
		}
		if gotA != aLen || gotB != bLen {
			return "", fmt.Errorf("hunk counts %d,%d, header says %d,%d", gotA, gotB, aLen, bLen)
		}
	}
	out = append(out, src[pos:]...)
	return lines(out...), nil
}

// normRange writes the counts that a hunk header leaves out (",1").
func normRange(h string) string {
	f := strings.Fields(h)
	for i := 1; i <= 2; i++ {
		if !strings.Contains(f[i], ",") {
			f[i] += ",1"
		}
	}
	return strings.Join(f, " ")
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// TestUnifiedDiffMatchesGNUDiff compares with `diff -u` on the two cases
// of issue 20 that the hand-written Myers diff rendered badly: two
// containers swapped (a change slid off the block boundary), and a
// 3,000-line ConfigMap value with lines 10, 1000-2000 and 2990 changed
// (one giant hunk past the old edit bound). The .diff files were written
// by GNU diffutils: diff -u --label live --label merged NAME.a.yaml NAME.b.yaml.
func TestUnifiedDiffMatchesGNUDiff(t *testing.T) {
	for _, name := range []string{"reordered-containers", "configmap-3000-lines"} {
		t.Run(name, func(t *testing.T) {
			read := func(ext string) string {
				b, err := os.ReadFile(filepath.Join("testdata", name+ext))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			from, to, want := read(".a.yaml"), read(".b.yaml"), read(".diff")
			got, err := unifiedDiff("live", "merged", from, to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("unifiedDiff differs from diff -u (-want +got):\n%s", diff)
			}
		})
	}
}
