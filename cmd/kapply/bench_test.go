//go:build bench

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// TestBenchApply1000 measures `make bench`: the same generated 1,000-object
// bundle applied by the ceiling (parallel server-side apply, 32 workers, no
// client throttling, kinds resolved beforehand), by kapply and by kubectl
// apply --server-side, in one run on one cluster. It asserts only that
// every run succeeded; the figures are reported, never compared with a
// wall-clock threshold.
func TestBenchApply1000(t *testing.T) {
	kc := os.Getenv("KUBECONFIG")
	kapplyBin, devclusterBin := os.Getenv("KAPPLY_BIN"), os.Getenv("DEVCLUSTER_BIN")
	if kc == "" || kapplyBin == "" || devclusterBin == "" {
		t.Fatal("KUBECONFIG, KAPPLY_BIN and DEVCLUSTER_BIN must be set: run with `make bench`")
	}
	dir := t.TempDir()
	bundleFor := func(prefix string) string {
		path := filepath.Join(dir, prefix+".yaml")
		if err := os.WriteFile(path, []byte(generateBundle(prefix, 10, 330)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfg, err := dynamicx.LoadConfig(dynamicx.ConfigOptions{Kubeconfig: kc, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := dynamicx.NewClients(cfg, dynamicx.DiscoveryOptions{})
	if err != nil {
		t.Fatal(err)
	}

	type row struct {
		name      string
		first     time.Duration
		noop      time.Duration
		requests  [2]int
		maxRSSMiB [2]float64
	}
	var rows []row

	// Warm the API server up (caches, connections, etcd) so that the first
	// measured run is not penalised for going first.
	ceilingApply(t, clients, bundleFor("bench-warmup"))

	// The ceiling.
	ceil := row{name: "ceiling: parallel SSA, 32 workers"}
	path := bundleFor("bench-ceil")
	for i := range 2 {
		before := requestCount(t, clients.Config.REST)
		d := ceilingApply(t, clients, path)
		ceil.requests[i] = requestCount(t, clients.Config.REST) - before
		if i == 0 {
			ceil.first = d
		} else {
			ceil.noop = d
		}
	}
	rows = append(rows, ceil)

	commands := []struct {
		name string
		argv func(path string) []string
	}{
		{"kapply apply", func(p string) []string {
			return []string{kapplyBin, "apply", "-f", p, "--cache-dir", filepath.Join(dir, "kapply-cache")}
		}},
		{"kubectl apply --server-side", func(p string) []string {
			return []string{devclusterBin, "kubectl", "apply", "--server-side", "-f", p, "--cache-dir", filepath.Join(dir, "kubectl-cache")}
		}},
	}
	for _, c := range commands {
		r := row{name: c.name}
		path := bundleFor("bench-" + strings.Fields(c.name)[0])
		for i := range 2 {
			before := requestCount(t, clients.Config.REST)
			d, rss := timeCommand(t, c.argv(path))
			r.requests[i] = requestCount(t, clients.Config.REST) - before
			r.maxRSSMiB[i] = rss
			if i == 0 {
				r.first = d
			} else {
				r.noop = d
			}
		}
		rows = append(rows, r)
	}

	var report strings.Builder
	fmt.Fprintf(&report, "1,000 objects (10 Namespaces, 330 each of Deployment/Service/Ingress), one file, minimal cluster\n\n")
	fmt.Fprintf(&report, "%-34s %9s %9s %10s %10s %9s %9s\n", "", "first", "no-op", "req first", "req no-op", "RSS MiB", "vs ceil")
	for _, r := range rows {
		ratio := fmt.Sprintf("%.2fx/%.2fx", r.first.Seconds()/ceil.first.Seconds(), r.noop.Seconds()/ceil.noop.Seconds())
		fmt.Fprintf(&report, "%-34s %8.2fs %8.2fs %10d %10d %9.0f %s\n", r.name, r.first.Seconds(), r.noop.Seconds(), r.requests[0], r.requests[1], max(r.maxRSSMiB[0], r.maxRSSMiB[1]), ratio)
	}
	k, kc2 := rows[1], rows[2]
	fmt.Fprintf(&report, "\nkapply / kubectl --server-side: first %.2fx, no-op %.2fx (below 1 is faster)\n", k.first.Seconds()/kc2.first.Seconds(), k.noop.Seconds()/kc2.noop.Seconds())
	fmt.Fprintf(&report, "requests are the API server's apiserver_request_total delta over each run\n")
	t.Log("\n" + report.String())
	if out := os.Getenv("BENCH_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ceilingApply applies the bundle with plain parallel server-side apply:
// Namespaces first, then everything else, 32 at a time.
func ceilingApply(t *testing.T, clients *dynamicx.Clients, path string) time.Duration {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifests.Decode(path, data)
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		obj  manifests.Object
		res  dynamicx.Resolved
		body []byte
	}
	var nss, rest []job
	for _, o := range objs {
		res, err := dynamicx.Resolve(context.Background(), clients.Mapper, clients.Config, o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := o.Obj.MarshalJSON()
		j := job{o, res, body}
		if res.Ref.Kind == "Namespace" {
			nss = append(nss, j)
		} else {
			rest = append(rest, j)
		}
	}
	start := time.Now()
	for _, batch := range [][]job{nss, rest} {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for _, j := range batch {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				force := true
				if _, err := j.res.Resource(clients.Dynamic).Patch(context.Background(), j.res.Ref.Name, types.ApplyPatchType, j.body, metav1.PatchOptions{FieldManager: "ceiling", Force: &force}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	return time.Since(start)
}

// timeCommand runs argv and returns its wall time and peak RSS.
func timeCommand(t *testing.T, argv []string) (time.Duration, float64) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		t.Fatalf("%s: %v\n%s\n%s", strings.Join(argv, " "), err, tail(string(out)), stderr.String())
	}
	rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	return d, rss
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}

// requestCount sums apiserver_request_total from the API server's metrics.
func requestCount(t *testing.T, cfg *rest.Config) int {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body, err := dc.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			total += v
		}
	}
	return int(total)
}
