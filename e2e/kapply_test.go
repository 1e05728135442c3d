//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// kapply's exit codes, as README and `kapply --help` list them: the
// contract these tests hold the binary to.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitTimeout     = 3
	exitDiffers     = 1
	exitNotDiffable = 4
	exitInterrupted = 130
)

var update = flag.Bool("update", false, "rewrite golden files")

// kapplyIn runs the kapply binary against kubeconfig with a discovery
// cache of the test's own.
func kapplyIn(t *testing.T, kubeconfig string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return kapplyProc(t, kubeconfig, filepath.Join(t.TempDir(), "cache"), stdin, args...)
}

// kapplyProc runs the kapply binary with kubeconfig and the discovery cache
// cacheDir: all that the process writes is seen, klog's log on stderr
// included.
func kapplyProc(t *testing.T, kubeconfig, cacheDir, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runKapply(t, stdin, append(args, "--kubeconfig", kubeconfig, "--cache-dir", cacheDir)...)
}

// runKapply runs the kapply binary with exactly args.
func runKapply(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, testcluster.KapplyBin(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("kapply %s did not finish within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), runBound, &out, &errOut)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// goldenOutput compares out with testdata/NAME, or rewrites it with -update.
func goldenOutput(t *testing.T, name, out string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), out); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func bundle(docs ...string) string { return strings.Join(docs, "---\n") }
