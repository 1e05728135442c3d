//go:build e2e

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// e2eKubeconfig returns the kubeconfig of the shared local cluster that
// `make test` starts with `devcluster run`. Without one the test fails: an
// e2e test that skips would let `make test` pass without testing anything.
func e2eKubeconfig(t *testing.T) string {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		t.Fatal("KUBECONFIG is not set: run the e2e tests with `make test` (devcluster run)")
	}
	return kc
}

// newCluster starts a fresh minimal cluster (etcd + kube-apiserver) for a
// test that changes cluster-wide state, such as a bundle that installs
// admission webhooks, and stops it when the test ends.
func newCluster(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("DEVCLUSTER_BIN")
	if bin == "" {
		t.Fatal("DEVCLUSTER_BIN is not set: run the e2e tests with `make test`")
	}
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
	return filepath.Join(dir, "kubeconfig")
}

// kapplyIn runs kapply in-process against kubeconfig with a discovery
// cache of the test's own.
func kapplyIn(t *testing.T, kubeconfig string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	full := append([]string{"kapply"}, args...)
	full = append(full, "--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(t.TempDir(), "cache"))
	code = run(context.Background(), full, streams{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func dynamicFor(t *testing.T, kubeconfig string) dynamic.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS = -1 // tests read hundreds of objects; client-go's 5 QPS would take minutes
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// createNamespace makes a namespace for one test, with the default
// ServiceAccount that a minimal cluster (no controller-manager) lacks and
// without which every Pod is refused.
func createNamespace(t *testing.T, kubeconfig, name string) {
	t.Helper()
	dyn := dynamicFor(t, kubeconfig)
	ctx := context.Background()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default", "namespace": name}}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}).Namespace(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
}

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
