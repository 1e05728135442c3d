//go:build bench

package bench

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kapply-dev/kapply/internal/bundlegen"
)

// TestBenchFirstApply sets kapply's first apply against the ceiling's
// alone, alternating the two, BENCH_RUNS rounds (default 3) per size of
// BENCH_SIZES (default 10000), each on a new set of namespaces; with
// BENCH_NOOP=1 it alternates their no-op re-applies too (of the first
// round's bundles), and with BENCH_KAPPLY_BEFORE=path another kapply
// binary (the one before a change) joins each round. It logs each round's
// times and ratios to the ceiling, so that a change can be measured on a
// machine whose other work comes and goes (issue 16). `make bench` does
// not run it:
//
//	bin/devcluster run --minimal -- go test -tags bench -count=1 -v \
//	    -run TestBenchFirstApply -timeout 30m ./e2e/bench/
func TestBenchFirstApply(t *testing.T) {
	b := newBench(t)
	tools := []string{b.kapplyBin}
	if before := os.Getenv("BENCH_KAPPLY_BEFORE"); before != "" {
		tools = append(tools, before)
	}
	tag := time.Now().Unix() % 100000
	for _, n := range envInts(t, "BENCH_SIZES", []int{10000}) {
		runs := envInts(t, "BENCH_RUNS", []int{3})[0]
		// bundle is the bundle of tool (0: the ceiling, j+1: tools[j]) in
		// round i, on namespaces of its own.
		bundle := func(tool, i int) string {
			p := fmt.Sprintf("p%d-%d-t%d-%d", tag, n, tool, i)
			return b.write(p, bundlegen.Sized(p, n).YAML())
		}
		// The warm-up fills the discovery caches and the API server's;
		// 1,000 objects do.
		warm := fmt.Sprintf("p%d-%d-warm", tag, n)
		warm = b.write(warm, bundlegen.Sized(warm, min(n, 1000)).YAML())
		ceilingApply(t, b.clients, warm)
		for _, bin := range tools {
			b.run(nil, b.kapplyWith(bin, "apply", "-f", warm))
		}
		compare := func(what string, round func(i int) int) {
			ms := []*measurement{newMeasurement("ceiling")}
			for _, bin := range tools {
				ms = append(ms, newMeasurement(bin))
			}
			for i := range runs {
				b.ceiling(ms[0], bundle(0, round(i)))
				line := fmt.Sprintf("%d objects, %s %d: ceiling %.2fs", n, what, i, ms[0].times[i].Seconds())
				for j, bin := range tools {
					b.run(ms[j+1], b.kapplyWith(bin, "apply", "-f", bundle(j+1, round(i))))
					line += fmt.Sprintf(", %s %.2fs (%.2fx)", bin, ms[j+1].times[i].Seconds(), ms[j+1].times[i].Seconds()/ms[0].times[i].Seconds())
				}
				t.Log(line)
			}
			line := fmt.Sprintf("%d objects, %s, medians: ceiling %.2fs, %.0f MiB", n, what, ms[0].median().Seconds(), ms[0].rssMiB)
			for _, m := range ms[1:] {
				line += fmt.Sprintf("; %s %.2fs (%.2fx), %.0f MiB", m.name, m.median().Seconds(), m.median().Seconds()/ms[0].median().Seconds(), m.rssMiB)
			}
			t.Log(line)
		}
		compare("first apply", func(i int) int { return i })
		if os.Getenv("BENCH_NOOP") == "1" {
			compare("no-op", func(int) int { return 0 })
		}
	}
}
