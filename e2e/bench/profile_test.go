//go:build bench

package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/internal/bundlegen"
	"github.com/kapply-dev/kapply/internal/testcluster"
	"github.com/kapply-dev/kapply/manifests"
)

// TestBenchProfileApply runs kapply's engine in process, as `kapply apply`
// and `kapply diff` do with their default options, on a fresh generated
// bundle of BENCH_PROFILE_SIZE objects (default 1000): a first apply, a
// no-op re-apply and a diff with no changes, for `go test -cpuprofile` (or
// -trace) to show where kapply's time goes. BENCH_PROFILE_FILE=path
// profiles that file instead (decoded as `kapply apply -f` does, the
// file's own namespaces or the context's), e.g. a real bundle with large
// CRDs (issue 19). `make bench` does not run it:
//
//	bin/devcluster run --minimal -- go test -tags bench -count=1 \
//	    -run TestBenchProfileApply -cpuprofile cpu.out ./e2e/bench/
//	bin/devcluster run --minimal -- env BENCH_PROFILE_FILE=$PWD/testdata/bundles/argo-cd/install.yaml \
//	    go test -tags bench -count=1 -run TestBenchProfileApply -cpuprofile cpu.out ./e2e/bench/
func TestBenchProfileApply(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	n := envInts(t, "BENCH_PROFILE_SIZE", []int{1000})[0]
	prefix := fmt.Sprintf("prof%d-%d", n, time.Now().Unix()%100000)
	ctx := context.Background()

	copts := dynamicx.DefaultConfigOptions()
	copts.Kubeconfig = kc
	cfg, err := dynamicx.LoadConfig(copts)
	if err != nil {
		t.Fatal(err)
	}
	dopts := dynamicx.DefaultDiscoveryOptions()
	dopts.CacheDir = t.TempDir()
	clients, err := dynamicx.NewClients(cfg, dopts)
	if err != nil {
		t.Fatal(err)
	}
	applier := &apply.Applier{Clients: clients}
	decode := func(name, yaml string) []manifests.Object {
		objs, err := manifests.Decode(name, []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}
	// Fill the discovery cache first, as the bench does.
	if _, err := applier.Apply(ctx, decode("warm.yaml", bundlegen.Sized(prefix+"-warm", 100).YAML()), apply.DefaultOptions()); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	start := time.Now()
	objs := decode("bundle.yaml", bundlegen.Sized(prefix, n).YAML())
	if path := os.Getenv("BENCH_PROFILE_FILE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		objs = decode(path, string(data))
		n = len(objs)
	}
	t.Logf("decode of %d objects: %v", n, time.Since(start))
	for _, step := range []string{"first apply", "no-op re-apply"} {
		start := time.Now()
		cs, err := applier.Apply(ctx, objs, apply.DefaultOptions())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if bad := cs.Count(apply.Failed) + cs.Count(apply.Skipped); bad > 0 {
			t.Fatalf("%s: %d objects not applied", step, bad)
		}
		t.Logf("%s of %d objects: %v (CRD wait %v, alone %v)", step, n, time.Since(start), cs.CRDWait, cs.CRDWaitAlone)
	}
	start = time.Now()
	ds, err := applier.Diff(ctx, objs, apply.DefaultDiffOptions())
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	if ds.Changed() || ds.Failed() {
		t.Fatalf("diff after apply: changed %v, failed %v", ds.Changed(), ds.Failed())
	}
	t.Logf("diff, no changes, of %d objects: %v", n, time.Since(start))
}
