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

// runSuite measures one bundle size. Namespaces are named
// b<n>-<tool><run>-<i>, so that every first apply and create starts from
// nothing.
func (b *bench) runSuite(n, runs int, withKubectl, full bool, proxyKC string, proxy *countingProxy) *suite {
	s := &suite{n: n, runs: runs}
	kc := b.kubeconfig
	gen := func(tool string, i int) string {
		p := fmt.Sprintf("b%d-%s%d", n, tool, i)
		return b.write(p, bundlegen.Sized(p, n).YAML())
	}
	firstRuns := runs
	if !full {
		firstRuns = 1
	}

	// Warm the API server up (caches, connections, etcd) and fill kapply's
	// and kubectl's discovery caches, so that no measured run goes first.
	warm := gen("w", 0)
	ceilingApply(b.t, b.clients, warm)
	b.run(nil, b.kapply(kc, "apply", "-f", warm))
	if withKubectl && full {
		b.run(nil, b.kubectl(kc, "apply", "--server-side", "-f", warm))
	}

	// The ceiling and kapply alternate, run by run: each write makes the
	// API server's store larger and later writes slower, so running one
	// tool's runs after the other's would count that against the second.
	s.ceilFirst, s.ceilNoop = newMeasurement("ceiling: first apply"), newMeasurement("ceiling: no-op re-apply")
	s.kFirst, s.kNoop = newMeasurement("kapply apply: first"), newMeasurement("kapply apply: no-op")
	for i := range firstRuns {
		b.ceiling(s.ceilFirst, gen("c", i))
		b.run(s.kFirst, b.kapply(kc, "apply", "-f", gen("k", i)))
	}
	k0 := gen("k", 0)
	for range firstRuns {
		b.ceiling(s.ceilNoop, gen("c", 0))
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
			b.run(s.ssaFirst, b.kubectl(kc, "apply", "--server-side", "-f", gen("s", 0)))
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
	for i := range runs {
		b.run(s.ssaFirst, b.kubectl(kc, "apply", "--server-side", "-f", gen("s", i)))
	}
	s0 := gen("s", 0)
	for range runs {
		b.run(s.ssaNoop, b.kubectl(kc, "apply", "--server-side", "-f", s0))
	}
	b.discovery(s.ssaNoop, proxy, b.kubectl(proxyKC, "apply", "--server-side", "-f", s0))
	// Client-side kubectl apply reads every object at kubectl's default 50
	// QPS: a minute per run at 1,000 objects, so it runs once.
	a0 := gen("a", 0)
	b.run(s.csaFirst, b.kubectl(kc, "apply", "-f", a0))
	b.run(s.csaNoop, b.kubectl(kc, "apply", "-f", a0))
	for i := range runs {
		b.run(s.create, b.kubectl(kc, "create", "-f", gen("r", i)))
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
