//go:build bench

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapply-dev/kapply/dynamicx"
)

// TestBenchDiff1000 measures `kapply diff` against `kubectl diff
// --server-side` on the generated 1,000-object bundle, applied first, so
// that neither finds a difference (both exit 0, or the run fails). The two
// take turns, three runs each, in one run on one cluster; the figures are
// reported, never compared with a wall-clock threshold.
func TestBenchDiff1000(t *testing.T) {
	kc := os.Getenv("KUBECONFIG")
	kapplyBin, devclusterBin := os.Getenv("KAPPLY_BIN"), os.Getenv("DEVCLUSTER_BIN")
	if kc == "" || kapplyBin == "" || devclusterBin == "" {
		t.Fatal("KUBECONFIG, KAPPLY_BIN and DEVCLUSTER_BIN must be set: run with `make bench`")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bench-diff.yaml")
	if err := os.WriteFile(path, []byte(generateBundle("bench-diff", 10, 330)), 0o600); err != nil {
		t.Fatal(err)
	}
	timeCommand(t, []string{kapplyBin, "apply", "-f", path, "--cache-dir", filepath.Join(dir, "kapply-cache")})

	commands := []struct {
		name string
		argv []string
	}{
		{"kapply diff", []string{kapplyBin, "diff", "-f", path, "--cache-dir", filepath.Join(dir, "kapply-cache")}},
		{"kubectl diff --server-side", []string{devclusterBin, "kubectl", "diff", "--server-side", "--field-manager", "kapply", "-f", path, "--cache-dir", filepath.Join(dir, "kubectl-cache")}},
	}
	const runs = 3
	times := make([][]time.Duration, len(commands))
	requests := make([]int, len(commands))
	rss := make([]float64, len(commands))
	cfg, err := dynamicx.LoadConfig(dynamicx.ConfigOptions{Kubeconfig: kc, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	for range runs {
		for i, c := range commands {
			before := requestCount(t, cfg.REST)
			d, r := timeCommand(t, c.argv)
			requests[i] = requestCount(t, cfg.REST) - before
			times[i] = append(times[i], d)
			rss[i] = max(rss[i], r)
		}
	}

	var report strings.Builder
	fmt.Fprintf(&report, "diff, no changes: 1,000 objects (10 Namespaces, 330 each of Deployment/Service/Ingress), one file, minimal cluster\n\n")
	fmt.Fprintf(&report, "%-28s %26s %9s %9s\n", "", "runs", "requests", "RSS MiB")
	for i, c := range commands {
		var secs []string
		for _, d := range times[i] {
			secs = append(secs, fmt.Sprintf("%.2fs", d.Seconds()))
		}
		fmt.Fprintf(&report, "%-28s %26s %9d %9.0f\n", c.name, strings.Join(secs, " "), requests[i], rss[i])
	}
	fmt.Fprintf(&report, "\nkapply / kubectl, best of %d: %.2fx (below 1 is faster)\n", runs, slices.Min(times[0]).Seconds()/slices.Min(times[1]).Seconds())
	t.Log("\n" + report.String())
	if out := os.Getenv("BENCH_REPORT"); out != "" {
		out = strings.TrimSuffix(out, filepath.Ext(out)) + "-diff" + filepath.Ext(out)
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
