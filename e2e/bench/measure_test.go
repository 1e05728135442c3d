//go:build bench

package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// ceilingApply applies the bundle with plain parallel server-side apply:
// Namespaces first, then everything else, 32 at a time.
func ceilingApply(t *testing.T, clients *dynamicx.Clients, path string) time.Duration {
	t.Helper()
	objs := decodeFile(t, path)
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
func (b *bench) timeCommand(argv []string) (time.Duration, float64) {
	b.t.Helper()
	cmd, peak := b.peakRSSCommand(argv)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		b.t.Fatalf("%s: %v\n%s\n%s", strings.Join(argv, " "), err, tail(string(out)), stderr.String())
	}
	return d, peak()
}

// peakRSSCommand returns a command that runs argv under peakrss, and a
// function that, once it has run, returns argv's peak RSS in MiB: the
// command's own, not this process's (see internal/peakrss).
func (b *bench) peakRSSCommand(argv []string) (*exec.Cmd, func() float64) {
	b.t.Helper()
	if b.peakRSS == "" {
		b.peakRSS = filepath.Join(b.dir, "peakrss")
		if out, err := exec.Command("go", "build", "-o", b.peakRSS, "github.com/kapply-dev/kapply/internal/peakrss").CombinedOutput(); err != nil {
			b.t.Fatalf("build peakrss: %v\n%s", err, out)
		}
	}
	file := filepath.Join(b.dir, "peakrss.out")
	cmd := exec.Command(b.peakRSS, append([]string{file}, argv...)...)
	return cmd, func() float64 {
		data, err := os.ReadFile(file)
		if err != nil {
			b.t.Fatal(err)
		}
		kib, err := strconv.ParseFloat(strings.TrimSpace(string(data)), 64)
		if err != nil {
			b.t.Fatalf("peakrss: %q: %v", data, err)
		}
		return kib / 1024
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}

// requestCounts reads apiserver_request_total from the API server's
// metrics, summed by "VERB resource" ("VERB" alone for requests that name
// no resource). Discovery requests are not in it: see countingProxy.
func requestCounts(t *testing.T, cfg *rest.Config) map[string]int {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body, err := dc.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		key := strings.TrimSpace(metricLabel(line, "verb") + " " + metricLabel(line, "resource"))
		counts[key] += int(v)
	}
	return counts
}

func metricLabel(line, name string) string {
	_, after, ok := strings.Cut(line, ","+name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, `"`)
	return v
}

// decodeFile reads and decodes a manifest file of the bench.
func decodeFile(t *testing.T, path string) []manifests.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifests.Decode(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}
