package faultproxy

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
)

// faulted sends each request of order (a name, repeated as listed) through
// a fresh schedule and returns "name#occurrence" of those faulted.
func faulted(cfg Config, order []string) []string {
	s := newSchedule(cfg)
	seen := map[string]int{}
	var out []string
	for _, name := range order {
		seen[name]++
		if s.pick(httptest.NewRequest("GET", "/api/v1/namespaces/ns/configmaps/"+name, nil), false) != nil {
			out = append(out, fmt.Sprintf("%s#%d", name, seen[name]))
		}
	}
	slices.Sort(out)
	return out
}

func TestScheduleIsAFunctionOfTheRequestNotOfArrivalOrder(t *testing.T) {
	cfg := Config{Seed: 7, Rules: []Rule{{Fault: Status, Status: 503, Rate: 0.3}}}
	var forward, backward []string
	for i := range 200 {
		name := fmt.Sprintf("cm-%d", i)
		forward = append(forward, name, name)
		backward = append([]string{name, name}, backward...)
	}
	a, b := faulted(cfg, forward), faulted(cfg, backward)
	if !slices.Equal(a, b) {
		t.Errorf("the same requests in another order got other faults:\n%v\n%v", a, b)
	}
	if len(a) < 60 || len(a) > 180 {
		t.Errorf("%d of 400 requests faulted at rate 0.3", len(a))
	}
	cfg.Seed = 8
	if c := faulted(cfg, forward); slices.Equal(a, c) {
		t.Error("another seed gave the same faults")
	}
}

func TestMaxPerRequestLetsEveryRequestThroughInTheEnd(t *testing.T) {
	cfg := Config{Seed: 1, Rules: []Rule{{Fault: Reset, Rate: 1, MaxPerRequest: 2}}}
	var order []string
	for range 5 {
		order = append(order, "a", "b")
	}
	want := []string{"a#1", "a#2", "b#1", "b#2"}
	if got := faulted(cfg, order); !slices.Equal(got, want) {
		t.Errorf("faulted %v, want %v", got, want)
	}
	cfg.Rules[0].MaxPerRequest = 0
	if got := faulted(cfg, order); len(got) != len(order) {
		t.Errorf("without a cap, rate 1 faulted %d of %d", len(got), len(order))
	}
}
