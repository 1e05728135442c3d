package render

import (
	"fmt"
	"math/rand/v2"
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
			got := unifiedDiff("L", "M", tc.from, tc.to)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("unifiedDiff mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnifiedDiffApplies checks on random texts that every diff is
// shortest-or-close and, applied to the old text, gives the new one.
func TestUnifiedDiffApplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a := randomLines(rng)
		b := mutate(rng, a)
		from, to := lines(a...), lines(b...)
		d := unifiedDiff("L", "M", from, to)
		got, err := patch(from, d)
		if err != nil {
			t.Fatalf("case %d: %v\nfrom:\n%sto:\n%sdiff:\n%s", i, err, from, to, d)
		}
		if got != to {
			t.Fatalf("case %d: patched text differs\nfrom:\n%sto:\n%sdiff:\n%sgot:\n%s", i, from, to, d, got)
		}
	}
}

// TestMyersIsShortest compares the edit count with a plain LCS.
func TestMyersIsShortest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		a := randomLines(rng)
		b := mutate(rng, a)
		changes := 0
		for _, e := range diffLines(a, b) {
			if e.op != opEqual {
				changes++
			}
		}
		if want := len(a) + len(b) - 2*lcsLen(a, b); changes != want {
			t.Fatalf("case %d: %d changes, shortest is %d\na=%q\nb=%q", i, changes, want, a, b)
		}
	}
}

func TestMyersGivesUpBeyondTheBound(t *testing.T) {
	var a, b []string
	for i := range maxEditDistance {
		a = append(a, fmt.Sprintf("a%d", i))
		b = append(b, fmt.Sprintf("b%d", i))
	}
	a = append([]string{"same"}, append(a, "end")...)
	b = append([]string{"same"}, append(b, "end")...)
	from, to := lines(a...), lines(b...)
	d := unifiedDiff("L", "M", from, to)
	got, err := patch(from, d)
	if err != nil || got != to {
		t.Fatalf("fallback diff does not apply: %v", err)
	}
	if !strings.HasPrefix(d, "--- L\n+++ M\n@@ -1,2002 +1,2002 @@\n same\n-a0\n") {
		t.Errorf("unexpected fallback diff start:\n%s", d[:80])
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

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
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
