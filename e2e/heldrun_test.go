//go:build e2e

package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/kapply-dev/kapply/internal/faultproxy"
)

// runOutcome is how a kapply run ended.
type runOutcome struct {
	code           int
	stdout, stderr string
}

// heldRun is a kapply run in the background, through a fault proxy that
// holds the requests of one rule until release.
type heldRun struct {
	release func() // lets the held requests through; safe to call again
	done    chan runOutcome
}

// startHeld starts `kapply ARGS` with input in against kc, through a proxy
// that holds the requests rule matches (its Fault, Release and Rate are
// set here). The held requests are let through when the test ends, at the
// latest.
func startHeld(t *testing.T, kc, in string, rule faultproxy.Rule, args ...string) *heldRun {
	t.Helper()
	gate := make(chan struct{})
	var once sync.Once
	h := &heldRun{release: func() { once.Do(func() { close(gate) }) }, done: make(chan runOutcome, 1)}
	t.Cleanup(h.release)
	rule.Fault, rule.Release, rule.Rate = faultproxy.Hold, gate, 1
	pkc, _ := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{rule}})
	go func() {
		code, stdout, stderr := kapplyIn(t, pkc, in, args...)
		h.done <- runOutcome{code, stdout, stderr}
	}()
	return h
}

// wait returns the run's outcome; it fails the test if the run has not
// ended within 3 minutes.
func (h *heldRun) wait(t *testing.T) runOutcome {
	t.Helper()
	select {
	case o := <-h.done:
		return o
	case <-time.After(3 * time.Minute):
		t.Fatal("the run did not end within 3 minutes")
	}
	return runOutcome{}
}

// releaseAndWait fails the test if the run already ended while held (what
// names the held request), then lets the held requests through and
// waits for the run's outcome.
func (h *heldRun) releaseAndWait(t *testing.T, what string) runOutcome {
	t.Helper()
	select {
	case o := <-h.done:
		t.Fatalf("the run ended while %s was held: exit %d\n%s%s", what, o.code, o.stdout, o.stderr)
	default:
	}
	h.release()
	return h.wait(t)
}
