//go:build bench

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// TestBenchSuite is `make bench` (issue 8): generated bundles of
// BENCH_SIZES objects (default 1000) applied, re-applied and diffed by the
// ceiling (parallel server-side apply in process), kapply and kubectl, in
// one run, each first apply and create on a fresh cluster of its own (see
// firstApply), the rest on one cluster. Measurements are repeated
// BENCH_RUNS times (default 3) and reported as medians. Sizes above 1,000
// measure only the ceiling, kapply and the two diffs, and run the no-ops
// and diffs once. BENCH_KUBECTL=0 leaves kubectl
// out. BENCH_REAL=0 leaves out the real-bundles table (issue 19: corpus
// bundles and Argo CD's install.yaml, each first apply on a fresh cluster
// of its own; see runRealBundles), which comes last. It asserts only that
// every run succeeded (exit codes); the targets are reported as PASS or
// MISS, never failed on.
func TestBenchSuite(t *testing.T) {
	b := newBench(t)
	sizes := envInts(t, "BENCH_SIZES", []int{1000})
	runs := envInts(t, "BENCH_RUNS", []int{3})[0]
	withKubectl := os.Getenv("BENCH_KUBECTL") != "0"
	proxyKC, proxy := startCountingProxy(t, b.kubeconfig)

	var report strings.Builder
	fmt.Fprintf(&report, "# kapply bench\n\nMinimal local cluster (etcd + kube-apiserver on loopback), %s. Times are wall times, medians of the runs listed; requests are the API server's `apiserver_request_total` delta over the median run (bundle resources only, by verb; `other` is the rest); peak RSS is the process's maximum resident set.\n", time.Now().UTC().Format("2006-01-02"))
	var large []*suite
	for _, n := range sizes {
		s := b.runSuite(n, runs, withKubectl, n <= 1000, proxyKC, proxy)
		if n <= 1000 {
			s.writeFull(&report)
		}
		large = append(large, s)
	}
	if len(large) > 1 || sizes[0] > 1000 {
		writeScaling(&report, large)
	}
	if os.Getenv("BENCH_REAL") != "0" {
		writeRealBundles(&report, runRealBundles(t, runs), runs)
	}
	t.Log("\n" + report.String())
	if out := os.Getenv("BENCH_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// bench holds what every measurement needs.
type bench struct {
	t                                         *testing.T
	dir, kapplyBin, devclusterBin, kubeconfig string
	clients                                   *dynamicx.Clients
	// fresh counts the clusters firstApply started; configs are the
	// client configs of the clusters runs counted requests on; peakRSS is
	// the peakrss binary, once built.
	fresh   int
	configs map[string]*rest.Config
	peakRSS string
}

func newBench(t *testing.T) *bench {
	b := &bench{t: t, dir: t.TempDir(), kubeconfig: testcluster.Kubeconfig(t), kapplyBin: testcluster.KapplyBin(t), devclusterBin: testcluster.DevclusterBin(t), configs: map[string]*rest.Config{}}
	cfg, err := dynamicx.LoadConfig(dynamicx.ConfigOptions{Kubeconfig: b.kubeconfig, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	if b.clients, err = dynamicx.NewClients(cfg, dynamicx.DiscoveryOptions{}); err != nil {
		t.Fatal(err)
	}
	return b
}

func envInts(t *testing.T, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want positive integers separated by commas", name, v)
		}
		out = append(out, n)
	}
	return out
}

// measurement is one row of the report: a command run one or more times.
type measurement struct {
	name   string
	times  []time.Duration
	counts []map[string]int
	rssMiB float64 // 0: not measured
	// discovery, openapi: requests counted by the proxy on a warm cache,
	// -1 when not measured; coldDiscovery on an empty one.
	discovery, openapi, coldDiscovery int
}

func newMeasurement(name string) *measurement {
	return &measurement{name: name, discovery: -1, openapi: -1}
}

// medianIndex is the index of the run with the median time.
func (m *measurement) medianIndex() int {
	idx := make([]int, len(m.times))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(m.times[a] - m.times[b]) })
	return idx[(len(idx)-1)/2]
}

func (m *measurement) median() time.Duration { return m.times[m.medianIndex()] }

// count sums the median run's requests with one of verbs on the bundle's
// resources.
func (m *measurement) count(verbs ...string) int {
	n := 0
	for k, v := range m.counts[m.medianIndex()] {
		verb, res, _ := strings.Cut(k, " ")
		if slices.Contains(verbs, verb) && bundleResources[res] {
			n += v
		}
	}
	return n
}

var bundleResources = map[string]bool{"namespaces": true, "deployments": true, "services": true, "ingresses": true, "configmaps": true}

var writeVerbs = []string{"APPLY", "PATCH", "POST", "PUT", "CREATE", "UPDATE"}

// write writes content to a file named for name and returns its path.
func (b *bench) write(name, content string) string {
	path := filepath.Join(b.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// run runs argv, which must succeed and work on the bench's cluster, and
// adds it to m (nil: a warm-up).
func (b *bench) run(m *measurement, argv []string) { b.runOn(b.kubeconfig, m, argv) }

// runOn is run for a command that works on the cluster of kubeconfig,
// whose API server counts its requests.
func (b *bench) runOn(kubeconfig string, m *measurement, argv []string) {
	cfg := b.restConfig(kubeconfig)
	before := requestCounts(b.t, cfg)
	d, rss := b.timeCommand(argv)
	after := requestCounts(b.t, cfg)
	m.add(d, rss, before, after)
}

// ceiling applies path on the bench's cluster with ceilingApply, in a
// process of its own, and adds it to m (nil: a warm-up).
func (b *bench) ceiling(m *measurement, path string) { b.ceilingOn(b.kubeconfig, m, path) }

// ceilingOn is ceiling on the cluster of kubeconfig.
func (b *bench) ceilingOn(kubeconfig string, m *measurement, path string) {
	cfg := b.restConfig(kubeconfig)
	before := requestCounts(b.t, cfg)
	d, rss := b.ceilingProcess(kubeconfig, path)
	m.add(d, rss, before, requestCounts(b.t, cfg))
}

// add records a run: its time, peak RSS and requests. On a nil m (a
// warm-up) it does nothing.
func (m *measurement) add(d time.Duration, rssMiB float64, before, after map[string]int) {
	if m == nil {
		return
	}
	m.rssMiB = max(m.rssMiB, rssMiB)
	delta := map[string]int{}
	for k, v := range after {
		if v != before[k] {
			delta[k] = v - before[k]
		}
	}
	m.times = append(m.times, d)
	m.counts = append(m.counts, delta)
}

func (b *bench) kapply(kubeconfig string, args ...string) []string {
	return append([]string{b.kapplyBin}, append(args, "--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(b.dir, "kapply-cache"))...)
}

func (b *bench) kubectl(kubeconfig string, args ...string) []string {
	return append([]string{b.devclusterBin, "kubectl"}, append(args, "--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(b.dir, "kubectl-cache"))...)
}

// discovery runs argv twice through the counting proxy (the first run
// fills the discovery cache for the proxy's address) and records in m what
// the second one asked for.
func (b *bench) discovery(m *measurement, proxy *countingProxy, argv []string) {
	b.run(nil, argv)
	m.coldDiscovery, _, _ = proxy.take()
	b.run(nil, argv)
	m.discovery, m.openapi, _ = proxy.take()
}
