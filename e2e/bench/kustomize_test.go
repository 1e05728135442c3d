//go:build bench

package bench

import (
	"github.com/kapply-dev/kapply/internal/testfiles"

	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/bundlegen"
)

// kustomizeOverlay writes the n-object bundle as a kustomize base and an
// overlay over it (labels, annotations, an image tag), and returns the
// overlay's directory. prefix names the bundle's namespaces, so that each
// run starts from nothing.
func (b *bench) kustomizeOverlay(prefix string, n int) string {
	root := filepath.Join(b.dir, prefix)
	files := map[string]string{
		"base/kustomization.yaml":    "resources: [bundle.yaml]\n",
		"base/bundle.yaml":           bundlegen.Sized(prefix, n).YAML(),
		"overlay/kustomization.yaml": "resources: [../base]\nlabels:\n  - pairs: {tier: bench}\ncommonAnnotations: {owner: bench}\nimages:\n  - {name: nginx, newTag: \"1.27.1\"}\n",
	}
	testfiles.Write(b.t, root, files)
	return filepath.Join(root, "overlay")
}

// runKustomize measures a first apply of an n-object overlay with -k and
// with `kubectl kustomize | kapply apply -f -` (issue 14), each on fresh
// namespaces. The pipeline runs under sh, whose rusage covers the children
// it waited for: its peak RSS is the larger of kubectl's and kapply's.
func (b *bench) runKustomize(n, runs int) (kz, pipe *measurement) {
	kc := b.kubeconfig
	kz = newMeasurement("kapply apply -k (overlay): first")
	pipe = newMeasurement("kubectl kustomize | kapply apply -f -: first")
	b.run(nil, b.kapply(kc, "apply", "-k", b.kustomizeOverlay(fmt.Sprintf("b%d-zw", n), n)))
	for i := range runs {
		b.run(kz, b.kapply(kc, "apply", "-k", b.kustomizeOverlay(fmt.Sprintf("b%d-z%d", n, i), n)))
		overlay := b.kustomizeOverlay(fmt.Sprintf("b%d-p%d", n, i), n)
		sh := fmt.Sprintf("%s kubectl kustomize %s | %s", b.devclusterBin, overlay, strings.Join(b.kapply(kc, "apply", "-f", "-"), " "))
		b.run(pipe, []string{"sh", "-c", sh})
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
