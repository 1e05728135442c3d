//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
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
// with -o json to stdout, and returns once the first of them is on the
// cluster.
func startInterruptible(t *testing.T, kc, ns string, n int, stdout io.Writer, extra ...string) *proc {
	t.Helper()
	var docs []string
	for i := range n {
		docs = append(docs, configMap(fmt.Sprintf("cm-%03d", i), "", map[string]string{"i": fmt.Sprint(i)}))
	}
	path := filepath.Join(t.TempDir(), "bundle.yaml")
	if err := os.WriteFile(path, []byte(bundle(docs...)), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"apply", "-f", path, "-n", ns, "--concurrency", "1", "-o", "json", "--kubeconfig", kc, "--cache-dir", filepath.Join(t.TempDir(), "cache")}, extra...)
	p := startKapply(t, "", stdout, args...)
	dyn := testcluster.Dynamic(t, kc)
	p.until(t, 2*time.Minute, "ConfigMap of the bundle on the cluster", func() bool {
		list, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range list.Items {
			if strings.HasPrefix(cm.GetName(), "cm-") {
				return true
			}
		}
		return false
	})
	return p
}

const stoppingMessage = "stopping after the requests in flight"

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

	stdout := &lockedBuffer{}
	p := startInterruptible(t, kc, ns, 400, stdout, set...)
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, time.Minute, "after SIGINT"); code != exitInterrupted {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "interrupt: "+stoppingMessage) {
		t.Errorf("stderr does not say it is stopping:\n%s", p.stderr)
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

// The first signal's path ends by printing every result and the summary.
// Here stdout is a pipe the test does not read, and the results of 1,000
// objects are more than a pipe holds (64 KiB), so that path cannot end:
// the run is still draining. With one signal, kapply finishes only once
// the test reads its stdout, summary included; a second signal ends it at
// once, with no summary.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	for _, signals := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d signals", signals), func(t *testing.T) {
			ns := fmt.Sprintf("interrupt-%d", signals)
			testcluster.CreateNamespace(t, kc, ns)
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			p := startInterruptible(t, kc, ns, 1000, w)
			w.Close() // the child holds its own copy
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			p.until(t, time.Minute, "stopping message after the first signal", func() bool {
				return strings.Contains(p.stderr.String(), stoppingMessage)
			})
			if signals == 2 {
				if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				if code := p.wait(t, time.Minute, "after the second signal, with its stdout unread"); code != exitInterrupted {
					t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
				}
			} else if p.exited() {
				t.Fatalf("kapply exited (%v) with its stdout unread: the test's premise (a full pipe blocks the summary) does not hold", p.err)
			}
			read := make(chan []byte, 1)
			go func() {
				out, _ := io.ReadAll(r) // until kapply exits and its end closes
				read <- out
			}()
			code := p.wait(t, time.Minute, "once its stdout was read")
			var out []byte
			select {
			case out = <-read:
			case <-time.After(time.Minute):
				t.Fatal("kapply's stdout did not close within a minute of its exit")
			}
			summary := strings.Contains(string(out), `"schema":"`+SummarySchema+`"`)
			switch signals {
			case 1:
				if code != exitInterrupted || !summary {
					t.Errorf("one signal: exit %d, summary printed %v; want %d and the summary (the path the second signal cuts short)\nstderr:\n%s", code, summary, exitInterrupted, p.stderr)
				}
				if len(out) <= 64<<10 {
					t.Errorf("one signal: %d bytes of results, not more than a pipe holds: the two-signal run proves nothing", len(out))
				}
			case 2:
				if summary {
					t.Errorf("two signals: the summary was printed, so kapply finished the first signal's path instead of exiting at once")
				}
			}
		})
	}
}
