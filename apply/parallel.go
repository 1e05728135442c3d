package apply

import "sync"

// parallel is the engine's one bounded worker loop: the writes of a
// stage, prune, delete, diff and the LISTs that prefetch live objects all
// go through it.
type parallel struct {
	// limit is the number of items worked on at once (at least 1).
	limit int
	// settle, when set, is called for each item in order, from the
	// calling goroutine, before a worker is taken for it: returning true
	// settles the item there and work is not called for it (an object
	// skipped, kept, or left because the run was interrupted).
	settle func(i int) bool
	// work does one item on a worker goroutine.
	work func(i int)
	// done, when set, is called once per item after it is settled or
	// worked, from either goroutine, never two calls at once: progress
	// callbacks go there.
	done func(i int)
}

// run handles the items 0..n-1 and returns once every one is done.
func (p parallel) run(n int) {
	var mu sync.Mutex
	finish := func(i int) {
		if p.done != nil {
			mu.Lock()
			defer mu.Unlock()
			p.done(i)
		}
	}
	sem := make(chan struct{}, p.limit)
	var wg sync.WaitGroup
	for i := range n {
		if p.settle != nil && p.settle(i) {
			finish(i)
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.work(i)
			finish(i)
		})
	}
	wg.Wait()
}
