package dynamicx

import (
	"context"
	"sync"
	"sync/atomic"
)

// Traffic counts requests and retries: a Config's for every request made
// with it, and one made by WithTraffic for the requests of one context
// (one object's writes), which also counts into its parent. A nil *Traffic
// counts nothing.
type Traffic struct {
	parent   *Traffic
	requests atomic.Int64
	retries  atomic.Int64

	mu sync.Mutex
	// uncertain counts, per HTTP method, requests whose outcome is unknown:
	// the connection broke or the server answered 5xx, so the request may
	// have been processed.
	uncertain map[string]int
}

type trafficKey struct{}

// WithTraffic returns a context whose requests are counted by the returned
// Traffic and by parent.
func WithTraffic(ctx context.Context, parent *Traffic) (context.Context, *Traffic) {
	t := &Traffic{parent: parent}
	return context.WithValue(ctx, trafficKey{}, t), t
}

// TrafficFrom returns the Traffic of ctx, or nil.
func TrafficFrom(ctx context.Context) *Traffic {
	t, _ := ctx.Value(trafficKey{}).(*Traffic)
	return t
}

// Requests is the number of requests sent, retries included.
func (t *Traffic) Requests() int {
	if t == nil {
		return 0
	}
	return int(t.requests.Load())
}

// Retries is the number of requests sent again after a transient failure,
// whichever layer sent them again: net/http (a GET on a reused connection
// that broke), client-go (Retry-After, or a GET whose connection broke),
// this package's transport (a GET answered 429 or 5xx) or the caller
// (AddRetry).
func (t *Traffic) Retries() int {
	if t == nil {
		return 0
	}
	return int(t.retries.Load())
}

// AddRetry counts a retry made by the caller.
func (t *Traffic) AddRetry() {
	for ; t != nil; t = t.parent {
		t.retries.Add(1)
	}
}

// Uncertain is the number of requests with method whose outcome is unknown.
func (t *Traffic) Uncertain(method string) int {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.uncertain[method]
}

func (t *Traffic) record(requests, retries int, uncertainMethod string) {
	for ; t != nil; t = t.parent {
		t.requests.Add(int64(requests))
		t.retries.Add(int64(retries))
		if uncertainMethod != "" {
			t.mu.Lock()
			if t.uncertain == nil {
				t.uncertain = map[string]int{}
			}
			t.uncertain[uncertainMethod]++
			t.mu.Unlock()
		}
	}
}
