//go:build bench

package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ceilingEnv names the bundle that TestBenchCeilingProcess applies.
const ceilingEnv = "BENCH_CEILING_PATH"

// ceilingProcess runs ceilingApply on path in a process of its own (this
// test binary again, running TestBenchCeilingProcess), so that its peak
// RSS can be set against kapply's. The time is the one ceilingApply
// measures: the writes, not the start-up and the decoding.
func (b *bench) ceilingProcess(kubeconfig, path string) (time.Duration, float64) {
	b.t.Helper()
	cmd, peak := b.peakRSSCommand([]string{os.Args[0], "-test.run=^TestBenchCeilingProcess$", "-test.count=1"})
	cmd.Env = append(os.Environ(), ceilingEnv+"="+path, "KUBECONFIG="+kubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.t.Fatalf("ceiling on %s: %v\n%s", path, err, tail(string(out)))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "ceiling-ns: "); ok {
			ns, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				b.t.Fatalf("ceiling on %s: %q: %v", path, line, err)
			}
			return time.Duration(ns), peak()
		}
	}
	b.t.Fatalf("ceiling on %s: no time in its output:\n%s", path, tail(string(out)))
	return 0, 0
}

// TestBenchCeilingProcess is the ceiling's own process (see
// ceilingProcess); without BENCH_CEILING_PATH it does nothing.
func TestBenchCeilingProcess(t *testing.T) {
	path := os.Getenv(ceilingEnv)
	if path == "" {
		t.Skip("run by TestBenchSuite for the ceiling's peak RSS")
	}
	b := newBench(t)
	fmt.Printf("ceiling-ns: %d\n", ceilingApply(t, b.clients, path).Nanoseconds())
}
