//go:build bench

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchProfileApply runs kapply in process, through run(), on a fresh
// generated bundle of BENCH_PROFILE_SIZE objects (default 1000): a first
// apply, a no-op re-apply and a diff with no changes, for `go test -cpuprofile` (or -trace) to
// show where kapply's time goes. `make bench` does not run it:
//
//	bin/devcluster run --minimal -- go test -tags bench -count=1 \
//	    -run TestBenchProfileApply -cpuprofile cpu.out ./cmd/kapply/
func TestBenchProfileApply(t *testing.T) {
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		t.Fatal("KUBECONFIG must be set: run inside `bin/devcluster run`")
	}
	n := envInts(t, "BENCH_PROFILE_SIZE", []int{1000})[0]
	dir := t.TempDir()
	prefix := fmt.Sprintf("prof%d-%d", n, time.Now().Unix()%100000)
	path := filepath.Join(dir, "bundle.yaml")
	if err := os.WriteFile(path, []byte(generateSizedBundle(prefix, n)), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"kapply", "apply", "-f", path, "--kubeconfig", kc, "--cache-dir", filepath.Join(dir, "cache")}
	// Fill the discovery cache first, as the bench does.
	warm := filepath.Join(dir, "warm.yaml")
	if err := os.WriteFile(warm, []byte(generateSizedBundle(prefix+"-warm", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := run(context.Background(), []string{"kapply", "apply", "-f", warm, "--kubeconfig", kc, "--cache-dir", filepath.Join(dir, "cache")}, streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}); code != 0 {
		t.Fatalf("warm-up: exit %d", code)
	}
	diffArgs := append([]string{"kapply", "diff"}, args[2:]...)
	for _, step := range []string{"first apply", "no-op re-apply", "diff, no changes"} {
		var stderr strings.Builder
		argv := args
		if strings.HasPrefix(step, "diff") {
			argv = diffArgs
		}
		start := time.Now()
		if code := run(context.Background(), argv, streams{in: strings.NewReader(""), out: io.Discard, err: &stderr}); code != 0 {
			t.Fatalf("%s: exit %d\n%s", step, code, stderr.String())
		}
		t.Logf("%s of %d objects: %v", step, n, time.Since(start))
	}
}
