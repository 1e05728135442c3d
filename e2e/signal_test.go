//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// startInterruptible starts the kapply binary on a bundle of n ConfigMaps,
// one at a time so that the run is still going when the test signals it,
// and returns once the first of them is on the cluster.
func startInterruptible(t *testing.T, kc, ns string, n int, extra ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	bin := os.Getenv("KAPPLY_BIN")
	if bin == "" {
		t.Fatal("KAPPLY_BIN is not set: run the e2e tests with `make test`")
	}
	var docs []string
	for i := range n {
		docs = append(docs, configMap(fmt.Sprintf("cm-%03d", i), "", map[string]string{"i": fmt.Sprint(i)}))
	}
	path := filepath.Join(t.TempDir(), "bundle.yaml")
	if err := os.WriteFile(path, []byte(bundle(docs...)), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"apply", "-f", path, "-n", ns, "--concurrency", "1", "-o", "json", "--kubeconfig", kc, "--cache-dir", filepath.Join(t.TempDir(), "cache")}, extra...)
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dyn := testcluster.Dynamic(t, kc)
	for {
		list, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range list.Items {
			if strings.HasPrefix(cm.GetName(), "cm-") {
				return cmd, &stdout, &stderr
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

func TestSIGINTStopsTheRunAndReportsExactly(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "interrupt"
	testcluster.CreateNamespace(t, kc, ns)
	// A member that a completed prune would delete: an interrupted run
	// must not prune it.
	set := []string{"--applyset", "interrupted", "--prune"}
	if code, _, stderr := kapplyIn(t, kc, configMap("old", "", map[string]string{"k": "v"}), append([]string{"apply", "-f", "-", "-n", ns}, set...)...); code != exitOK {
		t.Fatal(stderr)
	}

	cmd, stdout, stderr := startInterruptible(t, kc, ns, 400, set...)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd.Wait()); code != exitInterrupted {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr.String(), "interrupt: stopping after the requests in flight") {
		t.Errorf("stderr does not say it is stopping:\n%s", stderr)
	}
	results, sum := parseJSONResults(t, stdout.String())
	if len(results) != 400 || sum.Total != 400 {
		t.Fatalf("%d results, summary %+v: want one per object", len(results), sum)
	}
	if sum.Actions["created"] == 0 || sum.Actions["skipped"] == 0 || sum.Actions["pruned"] != 0 {
		t.Fatalf("summary %+v: want some created, some skipped, none pruned", sum)
	}
	// The report matches the cluster exactly: what it calls created is
	// there, what it calls skipped is not.
	dyn := testcluster.Dynamic(t, kc)
	for _, r := range results {
		_, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), r.Object.Name, metav1.GetOptions{})
		switch r.Action {
		case "created":
			if err != nil {
				t.Errorf("%s reported created but is not on the cluster: %v", r.Object.Name, err)
			}
		case "skipped":
			if err == nil {
				t.Errorf("%s reported skipped but is on the cluster", r.Object.Name)
			}
		case "failed":
			if !strings.Contains(r.Error, "interrupted while this object was being applied") {
				t.Errorf("%s failed with %q", r.Object.Name, r.Error)
			}
		default:
			t.Errorf("%s: unexpected action %s", r.Object.Name, r.Action)
		}
	}
	if _, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), "old", metav1.GetOptions{}); err != nil {
		t.Errorf("the interrupted run pruned configmap old: %v", err)
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "interrupt-twice"
	testcluster.CreateNamespace(t, kc, ns)
	cmd, _, stderr := startInterruptible(t, kc, ns, 400)
	for range 2 {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	if code := exitCode(t, cmd.Wait()); code != exitInterrupted {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitInterrupted, stderr)
	}
}
