package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/term"
	"golang.org/x/text/width"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/apply/watcher"
	"github.com/kapply-dev/kapply/dynamicx"
)

// readinessProgress shows a wait as it goes.
type readinessProgress interface {
	// update is called with each change of an object's readiness.
	update(watcher.TargetStatus)
	// finish is called once the wait is over.
	finish()
}

// newProgress picks how to show a wait: JSON events on stdout with -o
// json, a table redrawn in place on a terminal, else one line per change
// on stderr (CI logs).
func newProgress(p *printer, targets []watcher.Target) readinessProgress {
	switch {
	case p.json:
		return &jsonEvents{enc: json.NewEncoder(p.s.out)}
	case p.s.errIsTerminal:
		return newLiveTable(p.s.err, targets)
	}
	return &lineLog{w: p.s.err}
}

type jsonEvents struct{ enc *json.Encoder }

func (j *jsonEvents) update(ts watcher.TargetStatus) {
	_ = j.enc.Encode(readinessJSON(WaitEventSchema, ts))
}
func (j *jsonEvents) finish() {}

type lineLog struct{ w io.Writer }

func (l *lineLog) update(ts watcher.TargetStatus) {
	fmt.Fprintf(l.w, "%s: %s: %s\n", ts.Resolved.Ref, ts.State.Label(), ts.Message)
}
func (l *lineLog) finish() {}

// liveTable redraws, in place, a header with counts and the time spent,
// and a row per object; once a second, and on every change.
type liveTable struct {
	w     io.Writer
	start time.Time
	index map[dynamicx.Ref]int
	stop  chan struct{}
	done  sync.WaitGroup

	mu   sync.Mutex
	rows []watcher.TargetStatus
	// drawn is the width, in columns, of each line on screen to redraw
	// over: at the terminal's current width (it may have shrunk) a line
	// can take several rows.
	drawn    []int
	finished bool
}

func newLiveTable(w io.Writer, targets []watcher.Target) *liveTable {
	t := &liveTable{w: w, start: time.Now(), index: map[dynamicx.Ref]int{}, stop: make(chan struct{})}
	for i, tg := range targets {
		t.index[tg.Resolved.Ref] = i
		t.rows = append(t.rows, watcher.TargetStatus{Target: tg, Status: readiness.Status{State: readiness.StateUnknown, Message: "reading"}})
	}
	t.done.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tick.C:
				t.redraw()
			}
		}
	})
	t.redraw()
	return t
}

func (t *liveTable) update(ts watcher.TargetStatus) {
	t.mu.Lock()
	if i, ok := t.index[ts.Resolved.Ref]; ok {
		t.rows[i] = ts
	}
	t.mu.Unlock()
	t.redraw()
}

func (t *liveTable) finish() {
	close(t.stop)
	t.done.Wait()
	t.mu.Lock()
	t.finished = true
	t.mu.Unlock()
	t.redraw()
}

func (t *liveTable) redraw() {
	t.mu.Lock()
	defer t.mu.Unlock()
	width, height := termSize(t.w)
	lines := t.lines(max(height-2, 3))
	var b strings.Builder
	if up := screenRows(t.drawn, width); up > 0 {
		fmt.Fprintf(&b, "\x1b[%dF\x1b[J", up) // up to the table's first line, clear below
	}
	t.drawn = t.drawn[:0]
	for _, l := range lines {
		l = truncate(printable(l), width-1)
		b.WriteString(l + "\n")
		t.drawn = append(t.drawn, displayWidth(l))
	}
	_, _ = io.WriteString(t.w, b.String())
}

// screenRows is how many terminal rows lines of these widths take at
// width columns, wrapped ones counted whole (a line exactly as wide as the
// terminal takes one row).
func screenRows(widths []int, width int) int {
	rows := 0
	for _, w := range widths {
		rows += max(1, (w+width-1)/max(width, 1))
	}
	return rows
}

// printable replaces control characters (a newline or a tab in a
// condition's message, an escape sequence) with spaces: each would move
// the cursor in ways the redraw cannot count.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// lines is the header and up to maxRows rows: all of them when they fit,
// else those not ready yet first.
func (t *liveTable) lines(maxRows int) []string {
	elapsed := time.Since(t.start).Truncate(time.Second)
	verb := "waiting"
	if t.finished {
		verb = "waited"
	}
	lines := []string{fmt.Sprintf("%s %s for %s", verb, elapsed, countStates(t.rows))}
	rows := t.rows
	more := 0
	if len(rows) > maxRows {
		var pending []watcher.TargetStatus
		for _, r := range t.rows {
			if r.State != readiness.StateCurrent {
				pending = append(pending, r)
			}
		}
		rows = pending
		if len(rows) > maxRows-1 {
			rows = rows[:maxRows-1]
		}
		more = len(t.rows) - len(rows)
	}
	refWidth := 0
	for _, r := range rows {
		refWidth = max(refWidth, len(r.Resolved.Ref.String()))
	}
	for _, r := range rows {
		lines = append(lines, fmt.Sprintf("  %-11s  %-*s  %s", r.State.Label(), refWidth, r.Resolved.Ref, r.Message))
	}
	if more > 0 {
		lines = append(lines, fmt.Sprintf("  ... and %d more", more))
	}
	return lines
}

// termSize is the terminal's size, or 80x24 when w is not one.
func termSize(w io.Writer) (width, height int) {
	if f, ok := w.(*os.File); ok {
		if width, height, err := term.GetSize(int(f.Fd())); err == nil && width > 0 && height > 0 {
			return width, height
		}
	}
	return 80, 24
}

// truncate cuts s to n columns (wide runes take two), ending with "…"
// when it cut, so that no line wraps and the redraw covers exactly what
// was drawn.
func truncate(s string, n int) string {
	if n < 1 || displayWidth(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		if w+runeWidth(r) > n-1 {
			break
		}
		b.WriteRune(r)
		w += runeWidth(r)
	}
	return b.String() + "…"
}

// stderrIsTerminal sets streams.errIsTerminal in main: a live table needs a
// terminal that understands cursor movement, which TERM=dumb says it does
// not.
func stderrIsTerminal() bool {
	return os.Getenv("TERM") != "dumb" && term.IsTerminal(int(os.Stderr.Fd()))
}

// displayWidth is how many terminal columns s takes: two for East Asian
// wide and fullwidth runes, one for the others.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
