package apply

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// entryBound bounds how long the first progress call waits for a second
// one to enter beside it; only a callback that is not serialised ever
// sees one. It is a bound on a wait, not a measured time: the test passes
// or fails the same whatever the machine's speed.
const entryBound = time.Second

// concurrencyDetector is a progress callback that records whether two
// calls were ever inside it at once. Its first call waits (bounded) for a
// second to enter, so that callbacks that are not serialised are caught
// at once; calls also append to a plain slice, which the race detector
// (go test -race) reports when they are not ordered.
type concurrencyDetector struct {
	inside     atomic.Int32
	concurrent atomic.Bool
	first      sync.Once
	entered    chan struct{}
	calls      []string // unguarded on purpose, for -race
}

func newConcurrencyDetector() *concurrencyDetector {
	return &concurrencyDetector{entered: make(chan struct{}, 1)}
}

func (d *concurrencyDetector) enter(name string) {
	if d.inside.Add(1) > 1 {
		d.concurrent.Store(true)
		select {
		case d.entered <- struct{}{}:
		default:
		}
	}
	d.first.Do(func() {
		t := time.NewTimer(entryBound)
		defer t.Stop()
		select {
		case <-d.entered:
		case <-t.C:
		}
	})
	d.calls = append(d.calls, name)
	d.inside.Add(-1)
}

func TestParallelSerialisesDoneAndBoundsWork(t *testing.T) {
	const n, limit = 64, 4
	det := newConcurrencyDetector()
	var working, maxWorking atomic.Int32
	var settledOrder []int // written from the calling goroutine only
	var worked [n]bool
	parallel{
		limit: limit,
		settle: func(i int) bool {
			settledOrder = append(settledOrder, i)
			return i%8 == 7 // the first call of done comes from a worker
		},
		work: func(i int) {
			w := working.Add(1)
			for {
				m := maxWorking.Load()
				if w <= m || maxWorking.CompareAndSwap(m, w) {
					break
				}
			}
			worked[i] = true
			working.Add(-1)
		},
		done: func(i int) { det.enter(fmt.Sprint(i)) },
	}.run(n)

	if det.concurrent.Load() {
		t.Error("done was entered by two goroutines at once")
	}
	if len(det.calls) != n {
		t.Errorf("done was called %d times, want %d", len(det.calls), n)
	}
	if m := maxWorking.Load(); m > limit {
		t.Errorf("%d items were worked on at once, want at most %d", m, limit)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if diff := cmp.Diff(want, settledOrder); diff != "" {
		t.Errorf("settle order (-want +got):\n%s", diff)
	}
	for i, w := range worked {
		if w == (i%8 == 7) {
			t.Errorf("item %d: worked %v, settled %v", i, w, i%8 == 7)
		}
	}
}

// resettable makes a test mapper a dynamicx.Clients mapper.
type resettable struct{ meta.RESTMapper }

func (resettable) Reset() {}

// Delete's progress callback used to be called from every worker at once
// (issue 11); like apply's, its calls are now serialised. The fake client
// runs its reactors one at a time, but progress is reported outside them:
// while the first call waits, the other workers finish their deletes and
// would enter the callback beside it.
func TestDeleteProgressIsSerialised(t *testing.T) {
	const n = 8
	var objs []manifests.Object
	for i := range n {
		objs = append(objs, obj(i, "v1", "ConfigMap", "ns", fmt.Sprintf("cm-%d", i), nil))
	}
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	dyn.PrependReactor("delete", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, nil
	})
	a := &Applier{Clients: &dynamicx.Clients{
		Config:  &dynamicx.Config{Namespace: "ns"},
		Mapper:  resettable{testMapper()},
		Dynamic: dyn,
	}}
	det := newConcurrencyDetector()
	opts := DefaultDeleteOptions()
	opts.Concurrency = n
	opts.Progress = func(r Result) { det.enter(r.Ref.Name) }
	cs, err := a.Delete(context.Background(), objs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := cs.Count(Deleted); got != n {
		t.Errorf("%d objects deleted, want %d: %+v", got, n, cs.Results)
	}
	if len(det.calls) != n {
		t.Errorf("progress was called %d times, want %d", len(det.calls), n)
	}
	if det.concurrent.Load() {
		t.Error("the progress callback was entered by two goroutines at once")
	}
}
