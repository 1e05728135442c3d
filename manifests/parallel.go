package manifests

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// minChunksPerWorker is the number of documents from which another
// goroutine is worth starting.
const minChunksPerWorker = 32

// forEachChunk calls parse for each of the documents 0..n-1 of an input,
// on up to one goroutine per CPU when there are many: documents parse
// independently, and decoding a 10,000-document bundle on one core kept
// the first write waiting for half a second (issue 16). parse must write
// only what belongs to document i.
func forEachChunk(n int, parse func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minChunksPerWorker)
	if workers < 2 {
		for i := range n {
			parse(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				parse(i)
			}
		})
	}
	wg.Wait()
}
