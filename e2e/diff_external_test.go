//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// TestDiffRunsTheExternalDiffProgram: KAPPLY_EXTERNAL_DIFF (or kubectl's
// KUBECTL_EXTERNAL_DIFF) runs the user's program over two directories of
// masked YAML, as kubectl does; Secret values stay masked.
func TestDiffRunsTheExternalDiffProgram(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "diff-external"
	testcluster.CreateNamespace(t, kc, ns)
	applyForDiff(t, kc, bundle(diffSecret("creds", map[string]string{"password": "old-pw"}, nil), configMap("same", "", map[string]string{"k": "v"})), "-n", ns)

	script := filepath.Join(t.TempDir(), "show")
	prog := "#!/bin/sh\necho \"args: $1 $(basename $2) $(basename $3)\"\ncd \"$2\" && for f in *; do echo \"== live/$f\"; cat \"$f\"; done\ncd \"$3\" && for f in *; do echo \"== merged/$f\"; cat \"$f\"; done\nexit 1\n"
	if err := os.WriteFile(script, []byte(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"KAPPLY_EXTERNAL_DIFF", "KUBECTL_EXTERNAL_DIFF"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, script+" -N")
			in := bundle(diffSecret("creds", map[string]string{"password": "new-pw"}, nil), configMap("same", "", map[string]string{"k": "v"}))
			code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns)
			if code != exitDiffers {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitDiffers, stdout, stderr)
			}
			for _, want := range []string{"args: -N live merged", "== live/Secret." + ns + ".creds", "== merged/Secret." + ns + ".creds",
				"password: '***'", "password: '*** (changed)'"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, stdout)
				}
			}
			for _, secret := range []string{"old-pw", "new-pw", "b2xkLXB3", "bmV3LXB3"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("output shows Secret data %q:\n%s", secret, stdout)
				}
			}
			if strings.Contains(stdout, "ConfigMap") {
				t.Errorf("an unchanged object was written for the diff program:\n%s", stdout)
			}
		})
	}
}
