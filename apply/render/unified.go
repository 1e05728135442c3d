package render

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around each change,
// as `diff -u` and `kubectl diff` show.
const diffContext = 3

// maxEditDistance bounds the work of the line diff. Beyond it the middle
// of the two texts (what is left once their common head and tail are set
// aside) is shown as removed and added as a whole: still a correct diff,
// only not the shortest. Objects that differ by more than this many lines
// are rare, and the search would otherwise cost memory quadratic in it.
const maxEditDistance = 2000

type opKind int8

const (
	opEqual opKind = iota
	opDelete
	opInsert
)

// edit is one line of an edit script: a line of a kept (opEqual),
// removed (opDelete) or added (opInsert), with the positions in a and b
// where it stands.
type edit struct {
	op   opKind
	a, b int
}

// unifiedDiff returns the unified diff that turns from into to, with
// diffContext lines of context, or "" when they are equal. Both texts are
// whole lines ending in "\n" (YAML documents always do), so the diff has
// no "\ No newline at end of file" markers.
func unifiedDiff(fromName, toName, from, to string) string {
	if from == to {
		return ""
	}
	a, b := splitLines(from), splitLines(to)
	edits := diffLines(a, b)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", fromName, toName)
	for _, h := range hunks(edits, diffContext) {
		aStart, bStart := edits[h[0]].a, edits[h[0]].b
		aLen, bLen := 0, 0
		for _, e := range edits[h[0]:h[1]] {
			if e.op != opInsert {
				aLen++
			}
			if e.op != opDelete {
				bLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, e := range edits[h[0]:h[1]] {
			switch e.op {
			case opEqual:
				out.WriteString(" " + a[e.a] + "\n")
			case opDelete:
				out.WriteString("-" + a[e.a] + "\n")
			case opInsert:
				out.WriteString("+" + b[e.b] + "\n")
			}
		}
	}
	return out.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// hunkRange formats one side of a hunk header as GNU diff does: the
// 1-based first line and the count, the count left out when it is 1, and
// an empty range numbered after the line before it.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// hunks groups an edit script into hunks, returned as [start, end) index
// ranges into edits: each change with up to context equal lines on either
// side, and changes closer than 2*context lines in one hunk.
func hunks(edits []edit, context int) [][2]int {
	var out [][2]int
	i := 0
	for {
		for i < len(edits) && edits[i].op == opEqual {
			i++
		}
		if i == len(edits) {
			return out
		}
		start := max(i-context, 0)
		if n := len(out); n > 0 && start < out[n-1][1] {
			start = out[n-1][1]
		}
		end := i
		for {
			for end < len(edits) && edits[end].op != opEqual {
				end++
			}
			run := end
			for run < len(edits) && edits[run].op == opEqual {
				run++
			}
			if run == len(edits) || run-end > 2*context {
				end = min(end+context, len(edits))
				break
			}
			end = run
		}
		out = append(out, [2]int{start, end})
		i = end
	}
}

// diffLines returns a shortest edit script from a to b (Myers' algorithm,
// "An O(ND) Difference Algorithm and Its Variations", 1986), after
// setting aside the common head and tail.
func diffLines(a, b []string) []edit {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	edits := make([]edit, 0, len(a)+len(b)-head-tail)
	for i := 0; i < head; i++ {
		edits = append(edits, edit{op: opEqual, a: i, b: i})
	}
	edits = append(edits, myers(a[head:len(a)-tail], b[head:len(b)-tail], head, head)...)
	for i := tail; i > 0; i-- {
		edits = append(edits, edit{op: opEqual, a: len(a) - i, b: len(b) - i})
	}
	return edits
}

// myers diffs a and b, whose first lines are at offsets aOff and bOff of
// the whole texts.
func myers(a, b []string, aOff, bOff int) []edit {
	n, m := len(a), len(b)
	maxD := n + m
	if maxD > maxEditDistance {
		maxD = maxEditDistance
	}
	// v[k+off] is the furthest x reached on diagonal k; trace[d] keeps
	// the diagonals -d-1..d+1 as they were before step d, for the walk
	// back.
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int32
	for d := 0; d <= maxD; d++ {
		snap := make([]int32, 2*d+3)
		for i := range snap {
			snap[i] = int32(v[off-d-1+i])
		}
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m, aOff, bOff)
			}
		}
	}
	// Too far apart: all of a removed, then all of b added.
	edits := make([]edit, 0, n+m)
	for i := 0; i < n; i++ {
		edits = append(edits, edit{op: opDelete, a: aOff + i, b: bOff})
	}
	for j := 0; j < m; j++ {
		edits = append(edits, edit{op: opInsert, a: aOff + n, b: bOff + j})
	}
	return edits
}

// backtrack walks the trace from (n, m) back to (0, 0) and returns the
// edit script in forward order.
func backtrack(trace [][]int32, n, m, aOff, bOff int) []edit {
	var rev []edit
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		at := func(k int) int { return int(trace[d][k+d+1]) }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, edit{op: opEqual, a: aOff + x, b: bOff + y})
		}
		if d == 0 {
			break
		}
		if x == prevX {
			rev = append(rev, edit{op: opInsert, a: aOff + x, b: bOff + prevY})
		} else {
			rev = append(rev, edit{op: opDelete, a: aOff + prevX, b: bOff + y})
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
