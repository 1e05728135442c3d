package watcher

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// Target is an object to wait for or report on: its resource, namespace
// settled, and the input it came from.
type Target struct {
	Resolved dynamicx.Resolved
	Source   manifests.Source
	// SkipWait leaves the object out of waits: it is annotated
	// `kapply.dev/wait: skip`.
	SkipWait bool
}

// WaitAnnotation set to "skip" on an object leaves it out of every
// readiness wait (kapply wait, apply --wait); kapply status still reports
// it.
const WaitAnnotation = "kapply.dev/wait"

// TargetStatus is a target with its readiness.
type TargetStatus struct {
	Target
	readiness.Status
}

// String is "SOURCE: REF: state: message", as reports print it.
func (ts TargetStatus) String() string {
	return fmt.Sprintf("%s: %s: %s: %s", ts.Source, ts.Resolved.Ref, ts.State.Label(), ts.Message)
}

// WaitOptions configures Wait.
type WaitOptions struct {
	// Timeout bounds the whole wait.
	Timeout time.Duration
	// Ready adjusts what ready means.
	Ready readiness.Options
	// Progress, when set, is called with a target's status once it is
	// first read and each time its state or message changes. Calls are
	// serialised: they are made from the goroutine that called Wait.
	Progress func(TargetStatus)
}

// DefaultWaitOptions waits up to five minutes, the default of `kubectl
// rollout status` and Helm.
func DefaultWaitOptions() WaitOptions {
	return WaitOptions{Timeout: 5 * time.Minute}
}

// Validate reports options Wait cannot work with.
func (o WaitOptions) Validate() error {
	if o.Timeout <= 0 {
		return fmt.Errorf("the wait timeout must be positive, got %s", o.Timeout)
	}
	return nil
}

// TimeoutError is returned by Wait when the timeout passes before every
// object is ready. NotReady says, for each object that is not, why.
type TimeoutError struct {
	Timeout  time.Duration
	Total    int
	NotReady []TargetStatus
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s with %s not ready:%s", e.Timeout, ofObjects(len(e.NotReady), e.Total), listStatuses(e.NotReady))
}

// FailedError is returned by Wait as soon as an object reports that it
// will not become ready (a rollout past its deadline, a failed Job).
type FailedError struct {
	Total  int
	Failed []TargetStatus
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("%s failed:%s", ofObjects(len(e.Failed), e.Total), listStatuses(e.Failed))
}

// ofObjects is "K of N objects" (or "K of 1 object"), as apply.OfObjects,
// which this package cannot import.
func ofObjects(k, n int) string {
	if n == 1 {
		return fmt.Sprintf("%d of 1 object", k)
	}
	return fmt.Sprintf("%d of %d objects", k, n)
}

// ErrWaitInterrupted is wrapped by the error of a wait whose context was
// cancelled (not timed out).
var ErrWaitInterrupted = errors.New("interrupted while waiting")

func listStatuses(list []TargetStatus) string {
	var b strings.Builder
	for _, ts := range list {
		b.WriteString("\n  " + ts.String())
	}
	return b.String()
}

// Wait watches targets, through clients, until every one is Current, and returns their last
// statuses. It fails fast with a *FailedError when one is Failed, returns
// a *TimeoutError naming those not ready when opts.Timeout passes, and an
// error wrapping ErrWaitInterrupted when ctx is cancelled.
//
// It opens one list+watch per resource and namespace (not a poll): with a
// field selector on the name when that group holds one object, filtered
// here otherwise. A watch that ends is reopened from its last
// resourceVersion; one that expired, or failed, is reopened with a fresh
// list after a backoff.
func Wait(ctx context.Context, clients *dynamicx.Clients, targets []Target, opts WaitOptions) ([]TargetStatus, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	statuses := make([]TargetStatus, len(targets))
	for i, t := range targets {
		statuses[i] = TargetStatus{Target: t, Status: readiness.Status{State: readiness.StateUnknown, Message: "not read yet"}}
	}
	if len(targets) == 0 {
		return statuses, nil
	}
	wctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	obs := make(chan []observation)
	var wg sync.WaitGroup
	w := &groupWatcher{clients: clients, ready: opts.Ready, crds: &statusSubresources{dyn: clients.Dynamic}}
	for _, g := range groupTargets(targets, true) {
		wg.Go(func() { w.run(wctx, g, obs) })
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	seen := make([]bool, len(targets))
	known := 0
	for i, t := range targets {
		if t.SkipWait {
			statuses[i].Status = readiness.Status{State: readiness.StateCurrent, Message: "not waited for (" + WaitAnnotation + ": skip)"}
			seen[i] = true
			known++
			if opts.Progress != nil {
				opts.Progress(statuses[i])
			}
		}
	}
	if known == len(targets) {
		return statuses, nil
	}
	for {
		select {
		case batch := <-obs:
			for _, o := range batch {
				if seen[o.idx] && sameStatus(statuses[o.idx].Status, o.status) {
					continue
				}
				// Readiness is latched: an object that was ready stays
				// done for this wait (a Job with ttlSecondsAfterFinished:
				// 0 is deleted once complete), unless it then fails.
				if statuses[o.idx].State == readiness.StateCurrent && seen[o.idx] && o.status.State != readiness.StateFailed {
					continue
				}
				if !seen[o.idx] {
					seen[o.idx] = true
					known++
				}
				statuses[o.idx].Status = o.status
				if opts.Progress != nil {
					opts.Progress(statuses[o.idx])
				}
			}
			if failed := withState(statuses, readiness.StateFailed); len(failed) > 0 {
				return statuses, &FailedError{Total: len(targets), Failed: failed}
			}
			if known == len(targets) && len(notReady(statuses)) == 0 {
				return statuses, nil
			}
		case <-wctx.Done():
			if ctx.Err() != nil {
				return statuses, fmt.Errorf("%w: %w", ErrWaitInterrupted, ctx.Err())
			}
			return statuses, &TimeoutError{Timeout: opts.Timeout, Total: len(targets), NotReady: notReady(statuses)}
		}
	}
}

func sameStatus(a, b readiness.Status) bool {
	if a.State != b.State || a.Message != b.Message || (a.Pods == nil) != (b.Pods == nil) {
		return false
	}
	return a.Pods == nil || *a.Pods == *b.Pods
}

func withState(statuses []TargetStatus, s readiness.State) []TargetStatus {
	var out []TargetStatus
	for _, ts := range statuses {
		if ts.State == s {
			out = append(out, ts)
		}
	}
	return out
}

func notReady(statuses []TargetStatus) []TargetStatus {
	var out []TargetStatus
	for _, ts := range statuses {
		if ts.State != readiness.StateCurrent {
			out = append(out, ts)
		}
	}
	return out
}
