//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// kubectlIn runs the bundled kubectl (devcluster kubectl) with stdin,
// and returns its combined output.
func kubectlIn(t *testing.T, kc, stdin string, args ...string) (string, error) {
	t.Helper()
	bin := testcluster.DevclusterBin(t)
	full := append([]string{"kubectl", "--kubeconfig", kc, "--cache-dir", filepath.Join(t.TempDir(), "kubectl-cache")}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustKubectl runs kubectl and fails the test when it fails.
func mustKubectl(t *testing.T, kc, stdin string, args ...string) string {
	t.Helper()
	out, err := kubectlIn(t, kc, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// mustKapply runs kapply and fails the test unless it exits 0.
func mustKapply(t *testing.T, kc, stdin string, args ...string) string {
	t.Helper()
	code, stdout, stderr := kapplyIn(t, kc, stdin, args...)
	if code != exitOK {
		t.Fatalf("kapply %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// getObject reads one object, failing the test when it cannot.
func getObject(t *testing.T, kc string, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	obj, err := testcluster.Dynamic(t, kc).Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return obj
}

// scaleAs sets a Deployment's replicas through its /scale subresource, as
// an HPA does, under field manager manager.
func scaleAs(t *testing.T, kc, ns, name, manager string, replicas int64) {
	t.Helper()
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas))
	_, err := testcluster.Dynamic(t, kc).Resource(testcluster.DeploymentsGVR).Namespace(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: manager}, "scale")
	if err != nil {
		t.Fatalf("scale deployment %s/%s: %v", ns, name, err)
	}
}
