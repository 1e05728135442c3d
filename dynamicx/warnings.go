package dynamicx

import (
	"context"
	"sync"

	"k8s.io/client-go/rest"
)

// Warnings collects the warnings the API server sends with the responses
// to one object's requests, so they can be reported with that object
// instead of interleaved on stderr.
type Warnings struct {
	mu   sync.Mutex
	list []string
}

// List returns the collected warnings, deduplicated, in arrival order.
func (w *Warnings) List() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.list...)
}

func (w *Warnings) add(text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.list {
		if s == text {
			return
		}
	}
	w.list = append(w.list, text)
}

type warningsKey struct{}

// WithWarnings returns a context whose requests' warnings go to the
// returned collector.
func WithWarnings(ctx context.Context) (context.Context, *Warnings) {
	w := &Warnings{}
	return context.WithValue(ctx, warningsKey{}, w), w
}

// warningHandler sends each warning to the collector in the request's
// context, or to fallback when there is none.
type warningHandler struct {
	fallback func(string)
}

var _ rest.WarningHandlerWithContext = warningHandler{}

func (h warningHandler) HandleWarningHeaderWithContext(ctx context.Context, code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	if w, ok := ctx.Value(warningsKey{}).(*Warnings); ok {
		w.add(text)
		return
	}
	if h.fallback != nil {
		h.fallback(text)
	}
}
