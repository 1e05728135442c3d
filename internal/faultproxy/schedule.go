package faultproxy

import (
	"encoding/binary"
	"hash/fnv"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// Rule picks requests and says what to do to them.
type Rule struct {
	Fault      Kind
	Status     int           // Status: 409, 429, 500, 503, 504...
	RetryAfter string        // Status: the Retry-After header; "" sends none
	Latency    time.Duration // Latency
	Release    chan struct{} // Hold
	Before     func()        // Intercept: runs before the request is forwarded
	// Methods and Path narrow the requests the rule applies to (HTTP
	// methods; a pattern for the URL path); empty means all. Watch limits
	// it to watch requests.
	Methods []string
	Path    *regexp.Regexp
	Query   *regexp.Regexp // on the raw query string
	Watch   bool
	// Rate is the share of the rule's requests that are faulted. Whether
	// a request is faulted is a function of Config.Seed, the request
	// (method and URL) and how many times the rule saw that same request
	// before, never of arrival order: a run that sends the same requests
	// gets the same faults, however its goroutines interleave.
	// MaxPerRequest caps the faults of one request (method and URL) under
	// Rate (0: no cap): below the client's attempt budget, a faulted
	// request always gets through in the end, so a test of recovery does
	// not depend on luck.
	Rate          float64
	MaxPerRequest int
	// Nth faults the rule's n-th requests (from 1) as well. Limit caps
	// the faults of the rule (0: no cap).
	Nth   []int
	Limit int
}

// Config configures a fault proxy. For each request the rules are
// tried in order: each rule that applies counts the request, and the
// first that fires decides; later rules do not see the request.
type Config struct {
	Seed  uint64
	Rules []Rule
}

// schedule decides which requests are faulted; the proxy's mutex guards
// it.
type schedule struct {
	seed  uint64
	rules []Rule
	seen  []int // requests each rule applied to
	fired []int // faults each rule injected
	// perRequest counts, by rule and request (method and URL), the times
	// the rule saw the request and the faults it injected into it.
	perRequest []map[string]*requestCount
}

type requestCount struct{ seen, faulted int }

func newSchedule(cfg Config) schedule {
	s := schedule{seed: cfg.Seed, rules: cfg.Rules, seen: make([]int, len(cfg.Rules)), fired: make([]int, len(cfg.Rules))}
	for range cfg.Rules {
		s.perRequest = append(s.perRequest, map[string]*requestCount{})
	}
	return s
}

// pick returns the rule that fires for the request, or nil.
func (s *schedule) pick(r *http.Request, watch bool) *Rule {
	key := r.Method + " " + r.URL.RequestURI()
	for i := range s.rules {
		rule := &s.rules[i]
		switch {
		case len(rule.Methods) > 0 && !slices.Contains(rule.Methods, r.Method),
			rule.Path != nil && !rule.Path.MatchString(r.URL.Path),
			rule.Query != nil && !rule.Query.MatchString(r.URL.RawQuery),
			(rule.Watch || rule.Fault == EndWatch) && !watch,
			rule.Fault == Drop && watch:
			continue
		}
		s.seen[i]++
		rc := s.perRequest[i][key]
		if rc == nil {
			rc = &requestCount{}
			s.perRequest[i][key] = rc
		}
		rc.seen++
		byRate := rule.Rate > 0 && s.draw(i, key, rc.seen) < rule.Rate && (rule.MaxPerRequest == 0 || rc.faulted < rule.MaxPerRequest)
		fire := slices.Contains(rule.Nth, s.seen[i]) || byRate
		if fire && (rule.Limit == 0 || s.fired[i] < rule.Limit) {
			s.fired[i]++
			rc.faulted++
			return rule
		}
	}
	return nil
}

// draw is a number in [0, 1) fixed by the seed, the rule, the request and
// its occurrence.
func (s *schedule) draw(rule int, key string, occurrence int) float64 {
	h := fnv.New64a()
	var b [8]byte
	for _, v := range []uint64{s.seed, uint64(rule), uint64(occurrence)} {
		binary.LittleEndian.PutUint64(b[:], v)
		_, _ = h.Write(b[:])
	}
	_, _ = h.Write([]byte(key))
	// FNV's high bits barely move for keys that differ in their last
	// bytes; splitmix64's finalizer spreads them.
	x := h.Sum64()
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
