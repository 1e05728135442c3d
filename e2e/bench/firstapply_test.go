//go:build bench

package bench

import (
	"fmt"
	"os"
	"testing"

	"github.com/kapply-dev/kapply/internal/bundlegen"
)

// TestBenchFirstApply sets kapply's first apply against the ceiling's
// alone, BENCH_RUNS rounds (default 3) per size of BENCH_SIZES (default
// 10000), every run on a fresh cluster of its own (see firstApply), the
// tools taking turns at going first; with BENCH_KAPPLY_BEFORE=path another
// kapply binary (the one before a change) joins each round, and with
// BENCH_NOOP=1 the tools' no-op re-applies are set against each other too,
// alternating, on the bench's cluster. It logs each round's times and
// ratios to the ceiling, so that a change can be measured on a machine
// whose other work comes and goes (issue 16). `make bench` does not run
// it:
//
//	bin/devcluster run --minimal -- go test -tags bench -count=1 -v \
//	    -run TestBenchFirstApply -timeout 60m ./e2e/bench/
func TestBenchFirstApply(t *testing.T) {
	b := newBench(t)
	names := []string{"ceiling", b.kapplyBin}
	tools := []applyFunc{b.ceilingTool(), b.kapplyTool(b.kapplyBin)}
	if before := os.Getenv("BENCH_KAPPLY_BEFORE"); before != "" {
		names = append(names, before)
		tools = append(tools, b.kapplyTool(before))
	}
	runs := envInts(t, "BENCH_RUNS", []int{3})[0]
	for _, n := range envInts(t, "BENCH_SIZES", []int{10000}) {
		compare(t, n, "first apply", names, runs, func(j int, m *measurement) { b.firstApply(m, n, tools[j]) })
		if os.Getenv("BENCH_NOOP") != "1" {
			continue
		}
		paths := make([]string, len(tools))
		for j, apply := range tools {
			p := fmt.Sprintf("n%d-%d-t%d", b.fresh, n, j)
			paths[j] = b.write(p, bundlegen.Sized(p, n).YAML())
			apply(nil, b.kubeconfig, paths[j])
		}
		compare(t, n, "no-op", names, runs, func(j int, m *measurement) { tools[j](m, b.kubeconfig, paths[j]) })
	}
}

// compare runs each tool once per round, round i starting with tool i
// (mod the number of tools), and logs every round and the medians.
func compare(t *testing.T, n int, what string, names []string, runs int, run func(j int, m *measurement)) {
	ms := make([]*measurement, len(names))
	for j, name := range names {
		ms[j] = newMeasurement(name)
	}
	for i := range runs {
		for k := range names {
			j := (i + k) % len(names)
			run(j, ms[j])
		}
		line := fmt.Sprintf("%d objects, %s %d: %s %.2fs", n, what, i, names[0], ms[0].times[i].Seconds())
		for j, m := range ms[1:] {
			line += fmt.Sprintf(", %s %.2fs (%.2fx)", names[j+1], m.times[i].Seconds(), m.times[i].Seconds()/ms[0].times[i].Seconds())
		}
		t.Log(line)
	}
	line := fmt.Sprintf("%d objects, %s, medians: %s %.2fs, %.0f MiB", n, what, names[0], ms[0].median().Seconds(), ms[0].rssMiB)
	for _, m := range ms[1:] {
		line += fmt.Sprintf("; %s %.2fs (%.2fx), %.0f MiB", m.name, m.median().Seconds(), m.median().Seconds()/ms[0].median().Seconds(), m.rssMiB)
	}
	t.Log(line)
}
