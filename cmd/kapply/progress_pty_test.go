package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/text/width"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/apply/watcher"
)

// screen is a minimal terminal: printable runes (two columns for wide
// ones), auto-wrap at the right margin (with the pending-wrap state real
// terminals have), CR, LF, and the two sequences the live table sends:
// CSI n F (up n lines, to column 0) and CSI J (clear to the end).
type screen struct {
	cols     int
	lines    [][]rune
	row, col int
	wrapNext bool
}

func (s *screen) line(r int) []rune {
	for len(s.lines) <= r {
		s.lines = append(s.lines, nil)
	}
	return s.lines[r]
}

func (s *screen) put(r rune) {
	w := 1
	if k := width.LookupRune(r).Kind(); k == width.EastAsianWide || k == width.EastAsianFullwidth {
		w = 2
	}
	if s.wrapNext || s.col+w > s.cols {
		s.row, s.col, s.wrapNext = s.row+1, 0, false
	}
	l := s.line(s.row)
	for len(l) < s.col+w {
		l = append(l, ' ')
	}
	l[s.col] = r
	if w == 2 {
		l[s.col+1] = 0
	}
	s.lines[s.row] = l
	s.col += w
	if s.col == s.cols {
		s.col, s.wrapNext = s.cols-1, true
	}
}

func (s *screen) feed(data []byte) {
	text := []rune(string(data))
	for i := 0; i < len(text); i++ {
		switch r := text[i]; {
		case r == '\r':
			s.col, s.wrapNext = 0, false
		case r == '\n':
			s.row, s.wrapNext = s.row+1, false
			s.line(s.row)
		case r == 0x1b && i+1 < len(text) && text[i+1] == '[':
			j := i + 2
			for j < len(text) && (text[j] >= '0' && text[j] <= '9') {
				j++
			}
			n, _ := strconv.Atoi(string(text[i+2 : j]))
			switch text[j] {
			case 'F':
				s.row, s.col, s.wrapNext = max(s.row-max(n, 1), 0), 0, false
			case 'J':
				s.lines[s.row] = s.line(s.row)[:min(s.col, len(s.lines[s.row]))]
				s.lines = s.lines[:s.row+1]
			}
			i = j
		default:
			s.put(r)
		}
	}
}

func (s *screen) text() string {
	var b strings.Builder
	for _, l := range s.lines {
		b.WriteString(strings.TrimRight(strings.ReplaceAll(string(l), "\x00", ""), " ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// The live table, drawn on a pseudo-terminal at several widths with rows
// exactly as wide as the terminal (and one wider, with wide runes and a
// newline in a message), leaves one frame on screen after each redraw:
// no trail of earlier frames (issue 13).
func TestLiveTableRedrawsInPlaceOnATerminal(t *testing.T) {
	for _, cols := range []int{60, 80, 160} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Fatalf("open a pseudo-terminal: %v", err)
			}
			defer ptmx.Close()
			if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: uint16(cols)}); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			copied := make(chan struct{})
			go func() {
				_, _ = io.Copy(&out, ptmx)
				close(copied)
			}()

			prefix := len("  in progress  deployment.apps/x -n ns  ")
			exact := strings.Repeat("m", cols-prefix)
			rows := []watcher.TargetStatus{
				targetStatus("x", readiness.StateInProgress, exact),                           // exactly the width
				targetStatus("y", readiness.StateInProgress, exact[1:]),                       // one less
				targetStatus("z", readiness.StateInProgress, exact+"m"),                       // one more
				targetStatus("w", readiness.StateInProgress, strings.Repeat("界", cols/2)),     // wide runes
				targetStatus("v", readiness.StateInProgress, "line one\nline two\tand a tab"), // control characters
			}
			var targets []watcher.Target
			for _, r := range rows {
				targets = append(targets, r.Target)
			}
			table := newLiveTable(tty, targets)
			for i := 0; i < 3; i++ {
				for _, r := range rows {
					m := []rune(r.Message)
					r.Message = string(m[:len(m)-1]) + fmt.Sprint(i)
					table.update(r)
				}
			}
			table.finish()
			tty.Close()
			select {
			case <-copied:
			case <-time.After(30 * time.Second):
				t.Fatal("the pseudo-terminal's output did not end within 30s")
			}
			sc := &screen{cols: cols}
			sc.feed(out.Bytes())
			got := sc.text()
			if n := strings.Count(got, "objects:"); n != 1 {
				t.Errorf("%d headers on screen, want 1 (a trail of frames):\n%s", n, got)
			}
			if n := strings.Count(got, "deployment.apps/x"); n != 1 {
				t.Errorf("row x is on screen %d times, want 1:\n%s", n, got)
			}
			for i, l := range sc.lines {
				if w := displayWidth(strings.ReplaceAll(string(l), "\x00", "")); w >= cols {
					t.Errorf("line %d is %d columns wide on a %d-column terminal: %q", i, w, cols, string(l))
				}
			}
		})
	}
}
