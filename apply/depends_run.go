package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/apply/watcher"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// Waiting says that an object is held back before it is written, and for
// what: "dependency job.batch/migrate -n shop", "webhook NAME".
type Waiting struct {
	Ref    dynamicx.Ref
	Source manifests.Source
	For    string
}

// readyOnce waits once for one dependency to be ready, however many
// objects depend on it.
type readyOnce struct {
	once sync.Once
	err  error
}

// deferral is the state a run keeps for objects that wait for others:
// such an object leaves its kind stage's batch and is written by a
// goroutine of its own once what it needs is there, so that no stage waits
// for a dependency's readiness (no global barrier, cli-utils#455).
type deferral struct {
	deferred  map[*Item]bool
	done      map[*Item]chan struct{} // closed once the item's result is recorded
	ready     map[*Item]*readyOnce
	stageDone [numStages]chan struct{} // closed once a stage's batch is written
	sem       chan struct{}
	order     []*Item // deferred items, in the order their results came
}

// prepare marks the items that wait for others: those with depends-on
// references, and those whose namespace or CRD does.
func (r *run) prepare(plan *Plan) {
	d := &r.pending
	d.deferred, d.done, d.ready = map[*Item]bool{}, map[*Item]chan struct{}{}, map[*Item]*readyOnce{}
	for i := range d.stageDone {
		d.stageDone[i] = make(chan struct{})
	}
	d.sem = make(chan struct{}, r.opts.Concurrency)
	for _, item := range plan.Items {
		d.done[item] = make(chan struct{})
		d.ready[item] = &readyOnce{}
		if len(item.after) > 0 || len(item.external) > 0 {
			d.deferred[item] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, item := range plan.Items {
			for _, dep := range item.deps {
				if d.deferred[dep] && !d.deferred[item] {
					d.deferred[item], changed = true, true
				}
			}
		}
	}
}

// runDeferred writes one item once everything it needs is there: the
// stages before its own, its namespace and CRD, and each dependency
// applied in this run (or on the cluster) and ready. A dependency that
// failed, was skipped or did not become ready skips it.
func (r *run) runDeferred(ctx context.Context, item *Item) Result {
	d := &r.pending
	skip := func(err error) Result {
		return Result{Ref: item.Resolved.Ref, Source: item.Source, Action: Skipped, Err: err, DryRun: r.opts.DryRun != DryRunNone}
	}
	if item.Stage > 0 && !r.await(ctx, d.stageDone[item.Stage-1]) {
		return skip(ErrInterrupted)
	}
	for _, dep := range item.deps {
		if !r.await(ctx, d.done[dep]) {
			return skip(ErrInterrupted)
		}
	}
	start := time.Now()
	for _, dep := range item.after {
		ref := dep.Resolved.Ref
		r.notify(item, "dependency "+ref.String())
		if !r.await(ctx, d.done[dep]) {
			return skip(ErrInterrupted)
		}
		r.mu.Lock()
		res := *r.results[dep]
		r.mu.Unlock()
		switch {
		case res.Action == Failed:
			return skip(fmt.Errorf("dependency %s failed: %s: %w", ref, dep.Source, res.Err))
		case res.Action == Skipped:
			return skip(fmt.Errorf("dependency %s was skipped: %w", ref, res.Err))
		}
		if err := r.awaitReady(ctx, d.ready[dep], dep.Resolved, dep.Source); err != nil {
			return skip(fmt.Errorf("dependency %s %w", ref, err))
		}
	}
	for _, ext := range item.external {
		ref := ext.resolved.Ref
		r.notify(item, "dependency "+ref.String())
		if err := r.awaitReady(ctx, ext.wait, ext.resolved, manifests.Source{}); err != nil {
			return skip(fmt.Errorf("dependency %s (on the cluster) %w", ref, err))
		}
	}
	waited := time.Since(start)
	if !r.crds.await(ctx, item) {
		return skip(ErrInterrupted)
	}
	if res := r.precheck(ctx, item); res != nil {
		res.Waited = waited
		return *res
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return skip(ErrInterrupted)
	}
	defer func() { <-d.sem }()
	res := r.write(ctx, item, &snapshot{})
	res.Waited = waited
	return res
}

// await waits for ch to close; false when ctx ends first.
func (r *run) await(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}

// awaitReady waits, once for all its dependents, until a dependency is
// ready by the rules of --wait, within Options.DependencyTimeout. A dry run
// stores nothing, so there is nothing to wait for. The error completes
// "dependency X ...".
func (r *run) awaitReady(ctx context.Context, once *readyOnce, res dynamicx.Resolved, src manifests.Source) error {
	if r.opts.DryRun != DryRunNone {
		return nil
	}
	once.once.Do(func() {
		opts := watcher.WaitOptions{Timeout: r.opts.DependencyTimeout, Ready: r.opts.Ready}
		statuses, err := watcher.Wait(ctx, r.a.Clients, []watcher.Target{{Resolved: res, Source: src}}, opts)
		var failed *watcher.FailedError
		var timeout *watcher.TimeoutError
		switch {
		case err == nil:
		case errors.As(err, &failed):
			once.err = fmt.Errorf("failed: %s", statusText(statuses, false))
		case errors.As(err, &timeout):
			once.err = fmt.Errorf("was not ready within %s: %s", r.opts.DependencyTimeout, statusText(statuses, true))
		case errors.Is(err, watcher.ErrWaitInterrupted):
			once.err = ErrInterrupted
		default:
			once.err = fmt.Errorf("could not be watched: %w", err)
		}
	})
	return once.err
}

// statusText is the readiness of the objects not ready, with their state
// when withState.
func statusText(statuses []watcher.TargetStatus, withState bool) string {
	var parts []string
	for _, ts := range statuses {
		switch {
		case ts.State == readiness.StateCurrent:
		case withState:
			parts = append(parts, ts.State.Label()+": "+ts.Message)
		default:
			parts = append(parts, ts.Message)
		}
	}
	return strings.Join(parts, "; ")
}

// notify reports that item waits for what.
func (r *run) notify(item *Item, what string) {
	if r.opts.Waiting == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opts.Waiting(Waiting{Ref: item.Resolved.Ref, Source: item.Source, For: what})
}
