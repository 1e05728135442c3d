//go:build bench

package bench

import (
	"fmt"
	"os"

	"github.com/kapply-dev/kapply/internal/bundlegen"
)

// suite holds the measurements of one bundle size; kubectl's are nil when
// not measured.
type suite struct {
	n, runs                              int
	ceilFirst, ceilNoop                  *measurement
	kFirst, kNoop, kChanged, kDiff, kOne *measurement
	ssaFirst, ssaNoop, csaFirst, csaNoop *measurement
	create, kubectlDiff, kubectlOne      *measurement
	kzFirst, kzPipe                      *measurement // -k and kubectl kustomize | -f -
}

// runSuite measures one bundle size. Every first apply and create runs on
// a fresh cluster of its own (firstApply); the rest run on the bench's
// cluster, in namespaces named b<n>-<tool><run>-<i>.
func (b *bench) runSuite(n, runs int, withKubectl, full bool, proxyKC string, proxy *countingProxy) *suite {
	s := &suite{n: n, runs: runs}
	kc := b.kubeconfig
	gen := func(tool string, i int) string {
		p := fmt.Sprintf("b%d-%s%d", n, tool, i)
		return b.write(p, bundlegen.Sized(p, n).YAML())
	}
	noopRuns := runs
	if !full {
		noopRuns = 1
	}

	// Warm the API server up (caches, connections, etcd) and fill kapply's
	// and kubectl's discovery caches, so that no measured run goes first.
	warm := gen("w", 0)
	ceilingApply(b.t, b.clients, warm)
	b.run(nil, b.kapply(kc, "apply", "-f", warm))
	if withKubectl && full {
		b.run(nil, b.kubectl(kc, "apply", "--server-side", "-f", warm))
	}

	// First applies, each on a fresh cluster of its own (see firstApply),
	// the ceiling and kapply alternating.
	s.ceilFirst, s.ceilNoop = newMeasurement("ceiling: first apply"), newMeasurement("ceiling: no-op re-apply")
	s.kFirst, s.kNoop = newMeasurement("kapply apply: first"), newMeasurement("kapply apply: no-op")
	for range runs {
		b.firstApply(s.ceilFirst, n, b.ceilingTool())
		b.firstApply(s.kFirst, n, b.kapplyTool(b.kapplyBin))
	}
	// No-op re-applies, alternating, on this cluster, of bundles first
	// applied here unmeasured; the rows after them build on k0.
	c0, k0 := gen("c", 0), gen("k", 0)
	b.ceiling(nil, c0)
	b.run(nil, b.kapply(kc, "apply", "-f", k0))
	for range noopRuns {
		b.ceiling(s.ceilNoop, c0)
		b.run(s.kNoop, b.kapply(kc, "apply", "-f", k0))
	}
	if !full {
		// A diff with no changes, against kubectl's (issue 16).
		s.kDiff = newMeasurement("kapply diff: no changes")
		b.run(s.kDiff, b.kapply(kc, "diff", "-f", k0))
		if withKubectl {
			s.kubectlDiff = newMeasurement("kubectl diff --server-side: no changes")
			b.run(s.kubectlDiff, b.kubectl(kc, "diff", "--server-side", "--field-manager", "kapply", "-f", k0))
		}
		if withKubectl && os.Getenv("BENCH_KUBECTL_LARGE") == "1" {
			s.ssaFirst = newMeasurement("kubectl apply --server-side: first")
			b.firstApply(s.ssaFirst, n, b.kubectlTool("apply", "--server-side"))
		}
		return s
	}

	// 10% of the objects changed: each run changes the annotation of the
	// same tenth of the bundle to a new value.
	s.kChanged, s.kDiff = newMeasurement("kapply apply: 10% changed"), newMeasurement("kapply diff: no changes")
	last := k0
	for i := range runs {
		last = b.write(fmt.Sprintf("b%d-k0-rev%d", n, i+1), bundlegen.Revise(bundlegen.Sized(fmt.Sprintf("b%d-k0", n), n).YAML(), fmt.Sprint(i+1)))
		b.run(s.kChanged, b.kapply(kc, "apply", "-f", last))
	}
	for range runs {
		b.run(s.kDiff, b.kapply(kc, "diff", "-f", last))
	}
	b.discovery(s.kNoop, proxy, b.kapply(proxyKC, "apply", "-f", last))
	b.discovery(s.kDiff, proxy, b.kapply(proxyKC, "diff", "-f", last))

	// One object, warm cache: a ConfigMap in a namespace that exists.
	one := b.write(fmt.Sprintf("b%d-one", n), fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: b%d-k0-0\ndata: {a: b}\n", n))
	oneRuns := max(runs, 5)
	s.kOne = newMeasurement("kapply apply: one object")
	b.run(nil, b.kapply(kc, "apply", "-f", one))
	for range oneRuns {
		b.run(s.kOne, b.kapply(kc, "apply", "-f", one))
	}
	if !withKubectl {
		return s
	}
	s.kzFirst, s.kzPipe = b.runKustomize(n, runs)

	s.ssaFirst, s.ssaNoop = newMeasurement("kubectl apply --server-side: first"), newMeasurement("kubectl apply --server-side: no-op")
	s.csaFirst, s.csaNoop = newMeasurement("kubectl apply (client-side): first"), newMeasurement("kubectl apply (client-side): no-op")
	s.create, s.kubectlDiff = newMeasurement("kubectl create"), newMeasurement("kubectl diff --server-side: no changes")
	for range runs {
		b.firstApply(s.ssaFirst, n, b.kubectlTool("apply", "--server-side"))
	}
	s0 := gen("s", 0)
	b.run(nil, b.kubectl(kc, "apply", "--server-side", "-f", s0))
	for range runs {
		b.run(s.ssaNoop, b.kubectl(kc, "apply", "--server-side", "-f", s0))
	}
	b.discovery(s.ssaNoop, proxy, b.kubectl(proxyKC, "apply", "--server-side", "-f", s0))
	// Client-side kubectl apply reads every object at kubectl's default 50
	// QPS: a minute per run at 1,000 objects, so it runs once, and on this
	// cluster (a fresh one would need a second, unmeasured run for the
	// no-op): its first apply pays for the Services earlier runs left.
	a0 := gen("a", 0)
	b.run(s.csaFirst, b.kubectl(kc, "apply", "-f", a0))
	b.run(s.csaNoop, b.kubectl(kc, "apply", "-f", a0))
	for range runs {
		b.firstApply(s.create, n, b.kubectlTool("create"))
	}
	diffArgs := []string{"diff", "--server-side", "--field-manager", "kapply", "-f", last}
	for range runs {
		b.run(s.kubectlDiff, b.kubectl(kc, diffArgs...))
	}
	b.discovery(s.kubectlDiff, proxy, b.kubectl(proxyKC, diffArgs...))
	s.kubectlOne = newMeasurement("kubectl apply --server-side: one object")
	b.run(nil, b.kubectl(kc, "apply", "--server-side", "-f", one))
	for range oneRuns {
		b.run(s.kubectlOne, b.kubectl(kc, "apply", "--server-side", "-f", one))
	}
	return s
}
