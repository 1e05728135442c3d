//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

func TestVersionReportsServerVersionLikeKubectl(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	code, stdout, stderr := runKapply(t, "", "version", "-o", "json", "--kubeconfig", kc)
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	var got jsonVersion
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.ServerError != "" || got.Server == "" {
		t.Fatalf("no server version: %+v", got)
	}

	// The reference: what the bundled kubectl says of the same server.
	bin := os.Getenv("DEVCLUSTER_BIN")
	if bin == "" {
		t.Fatal("DEVCLUSTER_BIN is not set: run the e2e tests with `make test`")
	}
	out, err := exec.Command(bin, "kubectl", "--kubeconfig", kc, "version", "-o", "json").Output()
	if err != nil {
		t.Fatalf("kubectl version: %v", err)
	}
	var want struct {
		ServerVersion struct {
			GitVersion string `json:"gitVersion"`
		} `json:"serverVersion"`
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	if got.Server != want.ServerVersion.GitVersion {
		t.Errorf("server version %q, kubectl says %q", got.Server, want.ServerVersion.GitVersion)
	}
}

func TestVersionWithRestrictedContext(t *testing.T) {
	// /version is readable by every authenticated user; the restricted user
	// of the local cluster must get it too, through --context.
	kc := testcluster.Kubeconfig(t)
	code, stdout, stderr := runKapply(t, "", "version", "--kubeconfig", kc, "--context", "devcluster-restricted")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if want := "Server Version: v"; !strings.Contains(stdout, want) {
		t.Errorf("stdout %q does not contain %q", stdout, want)
	}
}
