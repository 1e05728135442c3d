package apply

import (
	"context"
	"sync"
)

// checkConcurrency bounds the lists Check runs in parallel.
const checkConcurrency = 8

// Check reads every target once and returns its readiness, in the order of
// targets: one list per resource and namespace. A target that could not
// be read is Unknown, with the reason in its message.
func (a *Applier) Check(ctx context.Context, targets []Target, opts ReadyOptions) []TargetStatus {
	statuses := make([]TargetStatus, len(targets))
	for i, t := range targets {
		statuses[i] = TargetStatus{Target: t}
	}
	w := &watcher{clients: a.Clients, ready: opts}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, checkConcurrency)
	for _, g := range groupTargets(targets) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var batch []observation
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
