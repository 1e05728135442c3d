package watcher

import (
	"context"
	"sync"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/dynamicx"
)

// checkConcurrency bounds the lists Check runs in parallel.
const checkConcurrency = 8

// Check reads every target once, through clients, and returns its
// readiness, in the order of targets: one list per resource and
// namespace. A target that could not be read is Unknown, with the reason
// in its message.
func Check(ctx context.Context, clients *dynamicx.Clients, targets []Target, opts readiness.Options) []TargetStatus {
	statuses := make([]TargetStatus, len(targets))
	for i, t := range targets {
		statuses[i] = TargetStatus{Target: t}
	}
	w := &groupWatcher{clients: clients, ready: opts, crds: &statusSubresources{dyn: clients.Dynamic}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, checkConcurrency)
	for _, g := range groupTargets(targets, false) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var batch []observation
			g.statusSubresource = w.crds.lookup(ctx, g.gvr, g.gvk.GroupKind())
			if objs, _, err := w.list(ctx, g); err != nil {
				batch = g.unreadable(err)
			} else {
				batch = g.observeList(objs, opts)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, o := range batch {
				statuses[o.idx].Status = o.status
			}
		})
	}
	wg.Wait()
	return statuses
}
