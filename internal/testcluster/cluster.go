package testcluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Kubeconfig returns the kubeconfig of the shared local cluster that
// `make test` starts with `devcluster run`. Without one the test fails: an
// e2e test that skips would let `make test` pass without testing anything.
// So does a kubeconfig that is not a local devcluster's (CheckLocal).
func Kubeconfig(t testing.TB) string {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		t.Fatal("KUBECONFIG is not set: run the e2e tests with `make test` (devcluster run)")
	}
	if err := CheckLocal(kc); err != nil {
		t.Fatal(err)
	}
	return kc
}

// KapplyBin returns the kapply binary under test (KAPPLY_BIN).
func KapplyBin(t testing.TB) string {
	t.Helper()
	return binFromEnv(t, "KAPPLY_BIN")
}

// DevclusterBin returns the devcluster binary (DEVCLUSTER_BIN), which also
// carries the bundled kubectl.
func DevclusterBin(t testing.TB) string {
	t.Helper()
	return binFromEnv(t, "DEVCLUSTER_BIN")
}

func binFromEnv(t testing.TB, name string) string {
	t.Helper()
	bin := os.Getenv(name)
	if bin == "" {
		t.Fatalf("%s is not set: run the e2e tests with `make test`", name)
	}
	return bin
}

// New starts a fresh minimal cluster (etcd + kube-apiserver) for a test
// that changes cluster-wide state, such as a bundle that installs
// admission webhooks, and stops it when the test ends. It returns the
// cluster's kubeconfig.
func New(t testing.TB) string {
	t.Helper()
	bin := DevclusterBin(t)
	dir := filepath.Join(t.TempDir(), "cluster")
	out, err := exec.Command(bin, "up", "--minimal", "--dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("devcluster up: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(bin, "down", "--dir", dir).CombinedOutput(); err != nil {
			t.Errorf("devcluster down: %v\n%s", err, out)
		}
	})
	kc := filepath.Join(dir, "kubeconfig")
	if err := CheckLocal(kc); err != nil {
		t.Fatal(err)
	}
	return kc
}
