package render

import (
	"fmt"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/aymanbagabas/go-udiff/lcs"
)

// diffContext is the number of unchanged lines shown around each change,
// as `diff -u` and `kubectl diff` show.
const diffContext = 3

// unifiedDiff returns the unified diff that turns from into to, with
// diffContext lines of context, or "" when they are equal. Both texts are
// whole lines ending in "\n" (YAML documents always do), so the diff has
// no "\ No newline at end of file" markers.
//
// The line diff and the hunks are go-udiff's, a published copy of the
// diff package gopls uses (golang.org/x/tools/internal/diff): no edit
// bound past which everything becomes one hunk. Its edits are then slid
// as GNU diff slides them (see slideDown), so that a moved block reads as
// moved and the output matches `diff -u`, which `kubectl diff` runs.
func unifiedDiff(fromName, toName, from, to string) (string, error) {
	if from == to {
		return "", nil
	}
	a, aOff := linesWithOffsets(from)
	b, _ := linesWithOffsets(to)
	runs := slideDown(lcs.DiffLines(a, b), a, b)
	edits := make([]udiff.Edit, len(runs))
	for i, r := range runs {
		edits[i] = udiff.Edit{
			Start: aOff[r.Start],
			End:   aOff[r.End],
			New:   strings.Join(b[r.ReplStart:r.ReplEnd], ""),
		}
	}
	out, err := udiff.ToUnified(fromName, toName, from, edits, diffContext)
	if err != nil {
		return "", fmt.Errorf("render the unified diff: %w", err)
	}
	return out, nil
}

// slideDown moves each run of only removed or only added lines as far
// down as the text allows (the lines it would pass over repeat its own
// first lines), without reaching the next run: the choice GNU diff's
// shift_boundaries makes for a run it cannot merge with another. Of the
// equally short diffs of two YAML documents it is the one that keeps a
// moved list item whole: "- name: two ... terminationMessagePolicy"
// rather than "terminationMessagePolicy ... - name: two".
func slideDown(runs []lcs.Diff, a, b []string) []lcs.Diff {
	for i := range runs {
		r := &runs[i]
		aLimit, bLimit := len(a), len(b)
		if i+1 < len(runs) {
			aLimit, bLimit = runs[i+1].Start, runs[i+1].ReplStart
		}
		switch {
		case r.ReplStart == r.ReplEnd: // removed lines only
			for r.End < aLimit && r.ReplEnd < bLimit && a[r.Start] == a[r.End] {
				r.Start, r.End = r.Start+1, r.End+1
				r.ReplStart, r.ReplEnd = r.ReplStart+1, r.ReplEnd+1
			}
		case r.Start == r.End: // added lines only
			for r.ReplEnd < bLimit && r.End < aLimit && b[r.ReplStart] == b[r.ReplEnd] {
				r.Start, r.End = r.Start+1, r.End+1
				r.ReplStart, r.ReplEnd = r.ReplStart+1, r.ReplEnd+1
			}
		}
	}
	return runs
}

// linesWithOffsets splits s into lines that keep their "\n", with the
// byte offset of each line's start and, last, len(s).
func linesWithOffsets(s string) ([]string, []int) {
	var lines []string
	offsets := []int{0}
	for start := 0; start < len(s); {
		end := strings.IndexByte(s[start:], '\n') + 1
		if end == 0 {
			end = len(s) - start
		}
		lines = append(lines, s[start:start+end])
		start += end
		offsets = append(offsets, start)
	}
	return lines, offsets
}

// UnifiedDiff returns the unified diff that turns from into to, from
// fromName to toName, or "" when they are equal: the diff Diff renders,
// for texts MaskedYAML has masked already.
func UnifiedDiff(fromName, toName, from, to string) (string, error) {
	return unifiedDiff(fromName, toName, from, to)
}
