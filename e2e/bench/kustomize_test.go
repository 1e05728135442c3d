//go:build bench

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/testfiles"
)

// kustomizeOverlay writes the bundle at path as a kustomize base and an
// overlay over it (labels, annotations, an image tag), and returns the
// overlay's directory.
func (b *bench) kustomizeOverlay(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	root := strings.TrimSuffix(path, ".yaml") + "-kustomize"
	files := map[string]string{
		"base/kustomization.yaml":    "resources: [bundle.yaml]\n",
		"base/bundle.yaml":           string(data),
		"overlay/kustomization.yaml": "resources: [../base]\nlabels:\n  - pairs: {tier: bench}\ncommonAnnotations: {owner: bench}\nimages:\n  - {name: nginx, newTag: \"1.27.1\"}\n",
	}
	testfiles.Write(b.t, root, files)
	return filepath.Join(root, "overlay")
}

// runKustomize measures a first apply of an n-object overlay with -k and
// with `kubectl kustomize | kapply apply -f -` (issue 14), each on a fresh
// cluster (firstApply), alternating. The pipeline runs under sh, whose
// rusage covers the children it waited for: its peak RSS is the larger of
// kubectl's and kapply's.
func (b *bench) runKustomize(n, runs int) (kz, pipe *measurement) {
	kz = newMeasurement("kapply apply -k (overlay): first")
	pipe = newMeasurement("kubectl kustomize | kapply apply -f -: first")
	kzTool := b.commandTool(func(kubeconfig, path string) []string {
		return b.kapply(kubeconfig, "apply", "-k", b.kustomizeOverlay(path))
	})
	pipeTool := b.commandTool(func(kubeconfig, path string) []string {
		sh := fmt.Sprintf("%s kubectl kustomize %s | %s", b.devclusterBin, b.kustomizeOverlay(path), strings.Join(b.kapply(kubeconfig, "apply", "-f", "-"), " "))
		return []string{"sh", "-c", sh}
	})
	for range runs {
		b.firstApply(kz, n, kzTool)
		b.firstApply(pipe, n, pipeTool)
	}
	return kz, pipe
}

// TestBenchKustomize measures -k alone: `go test -tags bench -run
// TestBenchKustomize` inside `devcluster run --minimal`.
func TestBenchKustomize(t *testing.T) {
	b := newBench(t)
	n := envInts(t, "BENCH_SIZES", []int{1000})[0]
	runs := envInts(t, "BENCH_RUNS", []int{3})[0]
	kz, pipe := b.runKustomize(n, runs)
	var report strings.Builder
	fmt.Fprintf(&report, "| measurement | median | runs | requests (bundle, by verb) | peak RSS | vs pipeline |\n|---|---:|---|---|---:|---:|\n")
	for _, m := range []*measurement{kz, pipe} {
		var secs []string
		for _, d := range m.times {
			secs = append(secs, fmt.Sprintf("%.2f", d.Seconds()))
		}
		fmt.Fprintf(&report, "| %s | %.2fs | %s | %s | %s | %s |\n", m.name, m.median().Seconds(), strings.Join(secs, " "), verbs(m),
			orDash(int(m.rssMiB), fmt.Sprintf("%.0f MiB", m.rssMiB)), ratio(m, pipe))
	}
	t.Log("\n" + report.String())
}
