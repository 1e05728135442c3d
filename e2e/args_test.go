//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// The shell expands `kapply apply -f k8s/*.yaml --dry-run=server` into
// `-f k8s/a.yaml k8s/b.yaml --dry-run=server`. Before issue 12 (A) kapply
// applied a.yaml for real and ignored b.yaml and --dry-run; now it refuses
// the line, naming the stray arguments, and sends nothing.
func TestShellGlobAfterFilenameWritesNothing(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "shell-glob"
	testcluster.CreateNamespace(t, kc, ns)
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(configMap(name, "", map[string]string{"k": "v"})), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	proxied, proxy := faultproxy.Start(t, kc, faultproxy.Config{})
	// Global flags first: everything after the stray argument is one too.
	code, stdout, stderr := runKapply(t, "", "--kubeconfig", proxied, "apply", "-f", filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml"), "--dry-run=server", "-n", ns)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
	}
	for _, want := range []string{`"` + filepath.Join(dir, "b.yaml") + `" "--dry-run=server" "-n" "` + ns + `"`, "-f once per file", "the directory"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}
	for _, r := range proxy.Requests() {
		t.Errorf("a request reached the server: %s %s", r.Method, r.Path)
	}
	for _, name := range []string{"a", "b"} {
		if configMapExists(t, kc, ns, name) {
			t.Errorf("configmap %s was written", name)
		}
	}
}
