package apply

import (
	"context"
	"sync"
	"time"

	"github.com/kapply-dev/kapply/dynamicx"
)

// crdGate writes the bundle's CRDs alongside the later stages, waits for
// them where something needs them, and holds back only what does (issues
// 13 and 19): the custom resources of a CRD of the bundle. The CRDs they
// need are waited for at once, once the CRDs are written, each within
// Options.CRDTimeout, so N CRDs take as long as the slowest, not N times
// as long. The other objects go on; a custom resource is written as soon
// as its CRD is established. Admission webhooks are written, and the run
// ends, only once every CRD is written and every held-back object is done.
//
// A CRD nothing in the bundle needs is not waited for, as with kubectl:
// establishing a large CRD (Argo CD's 1.4 MB one) takes the API server
// seconds, and a run that waited for it would be slower than kubectl for
// nothing. --wait waits for it, as for every other object (its readiness
// is Established). A next run that re-applies it meanwhile still reads as
// unchanged: the server's status write is another manager's (see
// changedByUs).
type crdGate struct {
	waits    map[*Item]chan struct{} // closed once the CRD is written and settled
	deferred sync.WaitGroup
	sem      chan struct{}
	// waited is how long the waits took, from their start until the last
	// CRD was settled at settled; read them only after drain.
	waited  time.Duration
	settled time.Time
}

// begin writes the plan's CRDs alongside the stages that follow (only
// their custom resources need them, and a large CRD takes the API server
// seconds to write), then waits, together, for the ones this run created
// or changed that an item of the plan depends on. Called once, with the
// first stage, before anything is held back.
func (g *crdGate) begin(ctx context.Context, r *run, plan *Plan, crds []*Item) {
	g.waits = map[*Item]chan struct{}{}
	g.sem = make(chan struct{}, r.opts.Concurrency)
	written := map[*Item]bool{}
	for _, crd := range crds {
		written[crd] = true
	}
	for _, item := range plan.Items {
		for _, dep := range item.deps {
			if _, ok := g.waits[dep]; !ok && written[dep] {
				g.waits[dep] = make(chan struct{})
			}
		}
	}
	if len(crds) == 0 {
		return
	}
	g.deferred.Go(func() {
		r.runStage(ctx, crds)
		began := time.Now()
		waited := false
		var all sync.WaitGroup
		for crd, done := range g.waits {
			r.mu.Lock()
			res := r.results[crd]
			r.mu.Unlock()
			if res == nil || res.DryRun || (res.Action != Created && res.Action != Configured) || res.Err != nil {
				close(done)
				continue
			}
			waited = true
			all.Go(func() {
				defer close(done)
				ctx, traffic := dynamicx.WithTraffic(ctx, r.traffic())
				err := r.waitEstablished(ctx, crd)
				r.mu.Lock()
				defer r.mu.Unlock()
				r.results[crd].Retries += traffic.Retries()
				if err != nil {
					r.results[crd].Err = err
				}
			})
		}
		all.Wait()
		if waited {
			g.settled = time.Now()
			g.waited = g.settled.Sub(began)
			// Later lookups (prune, --wait) must see the kinds they
			// define.
			r.a.Clients.Mapper.Reset()
		}
	})
}

// deferItem holds back an item whose CRD is still being waited for: it is
// written by a goroutine of its own once the CRD is settled. It returns
// false when the item can be written now.
func (g *crdGate) deferItem(ctx context.Context, r *run, item *Item) bool {
	pending := g.pendingFor(item)
	if len(pending) == 0 {
		return false
	}
	g.deferred.Go(func() {
		for _, done := range pending {
			<-done
		}
		if res := r.precheck(ctx, item); res != nil {
			r.record(item, *res)
			return
		}
		g.sem <- struct{}{}
		defer func() { <-g.sem }()
		r.record(item, r.write(ctx, item, &snapshot{}))
	})
	return true
}

// await waits until the CRDs item needs are settled; false when ctx ends
// first. Objects held back for a dependency (depends-on) call it before
// they are written.
func (g *crdGate) await(ctx context.Context, item *Item) bool {
	for _, done := range g.pendingFor(item) {
		select {
		case <-done:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// pendingFor is the waits of item's CRDs that are not settled yet.
func (g *crdGate) pendingFor(item *Item) []chan struct{} {
	var pending []chan struct{}
	for _, dep := range item.deps {
		if done, ok := g.waits[dep]; ok {
			select {
			case <-done:
			default:
				pending = append(pending, done)
			}
		}
	}
	return pending
}

// drain waits until every held-back item is written.
func (g *crdGate) drain() {
	g.deferred.Wait()
}
