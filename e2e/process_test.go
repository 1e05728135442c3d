//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// runBound bounds every kapply run of the tests: none takes a minute on
// a loaded 2-core machine, and a run that hangs fails with its command
// line instead of hanging the suite until go test's timeout.
const runBound = 5 * time.Minute

// lockedBuffer is a buffer the test may read while a process writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a kapply process running in the background.
type proc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{} // closed once the process exited
	err    error         // its Wait error, once done is closed
}

// startKapply starts the kapply binary with args, stdin and stdout;
// stderr is kept for the test to read.
func startKapply(t *testing.T, stdin string, stdout io.Writer, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(testcluster.KapplyBin(t), args...)
	p := &proc{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to bound for the process to end and returns its exit
// code; past the bound the test fails, saying what it waited for.
func (p *proc) wait(t *testing.T, bound time.Duration, what string) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(bound):
		t.Fatalf("kapply did not exit within %s %s\nstderr:\n%s", bound, what, p.stderr)
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatal(p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// until polls cond every 20ms for up to bound while the process runs. It
// fails the test, saying what it waited for, when the bound passes or the
// process exits first.
func (p *proc) until(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if p.exited() {
			t.Fatalf("kapply exited (%v) before %s\nstderr:\n%s", p.err, what, p.stderr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s\nstderr:\n%s", what, bound, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
