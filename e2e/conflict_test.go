//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// kubectlExport is `kubectl get -o yaml` of a ConfigMap, as users export
// manifests: resourceVersion, uid and creationTimestamp included.
func kubectlExport(t *testing.T, kc, ns, name string) string {
	t.Helper()
	return mustKubectl(t, kc, "", "get", "configmap", name, "-n", ns, "-o", "yaml")
}

// A 409 from a manifest's own metadata (resourceVersion, uid) is not a
// field-manager conflict: the error names the field and says to remove it,
// with no --force-conflicts hint, and every run warns (file#doc) about
// metadata the server sets (issue 12, H).
func TestExportedManifestPreconditions(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "exported-manifests"
	testcluster.CreateNamespace(t, kc, ns)
	cms := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns)
	ctx := context.Background()
	if code, _, stderr := kapplyIn(t, kc, configMap("exported", "", map[string]string{"k": "v1"}), "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatal(stderr)
	}
	exported := kubectlExport(t, kc, ns, "exported")
	for _, want := range []string{"resourceVersion:", "uid:", "creationTimestamp:"} {
		if !strings.Contains(exported, want) {
			t.Fatalf("kubectl's export has no %s:\n%s", want, exported)
		}
	}
	warning := "warning: configmap/exported -n " + ns + ": -#1: the manifest carries metadata the server sets (resourceVersion, uid, creationTimestamp)"

	// Unchanged since the export: it applies, with the warning.
	code, stdout, stderr := kapplyIn(t, kc, exported, "apply", "-f", "-", "-n", ns)
	if code != exitOK || !strings.Contains(stderr, warning) {
		t.Errorf("apply of a fresh export: exit %d, stderr does not contain %q:\n%s\n%s", code, warning, stdout, stderr)
	}

	// The live object moves on: the export's resourceVersion is stale.
	if code, _, stderr := kapplyIn(t, kc, configMap("exported", "", map[string]string{"k": "v2"}), "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatal(stderr)
	}
	code, stdout, stderr = kapplyIn(t, kc, exported, "apply", "-f", "-", "-n", ns)
	if code != exitFailed {
		t.Fatalf("stale resourceVersion: exit %d, want %d\n%s\n%s", code, exitFailed, stdout, stderr)
	}
	for _, want := range []string{"the manifest sets metadata.resourceVersion", "remove metadata.resourceVersion from the manifest"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stale resourceVersion: stdout does not contain %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, "--force-conflicts") {
		t.Errorf("stale resourceVersion: --force-conflicts suggested, which cannot help:\n%s\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr, warning) {
		t.Errorf("stale resourceVersion: stderr does not contain %q:\n%s", warning, stderr)
	}

	// Deleted and created again: the export's uid names another object.
	if err := cms.Delete(ctx, "exported", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := kapplyIn(t, kc, configMap("exported", "", map[string]string{"k": "v3"}), "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatal(stderr)
	}
	var noRV []string
	for _, line := range strings.Split(exported, "\n") {
		if !strings.Contains(line, "resourceVersion:") {
			noRV = append(noRV, line)
		}
	}
	code, stdout, stderr = kapplyIn(t, kc, strings.Join(noRV, "\n"), "apply", "-f", "-", "-n", ns)
	if code != exitFailed {
		t.Fatalf("stale uid: exit %d, want %d\n%s\n%s", code, exitFailed, stdout, stderr)
	}
	for _, want := range []string{"the manifest sets metadata.uid", "remove metadata.uid from the manifest"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stale uid: stdout does not contain %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, "--force-conflicts") {
		t.Errorf("stale uid: --force-conflicts suggested, which cannot help:\n%s\n%s", stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "--force-replace") {
		t.Errorf("stale uid: --force-replace suggested, which would delete the live object:\n%s\n%s", stdout, stderr)
	}

	// Not even --force-replace deletes the live object over a stale uid:
	// the server's 422 on metadata.uid is a precondition, not a field the
	// release changes.
	before, err := cms.Get(ctx, "exported", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = kapplyIn(t, kc, strings.Join(noRV, "\n"), "apply", "-f", "-", "-n", ns, "--force-replace")
	if code != exitFailed || !strings.Contains(stdout, "remove metadata.uid from the manifest") {
		t.Errorf("stale uid with --force-replace: exit %d, want %d and the precondition named\n%s\n%s", code, exitFailed, stdout, stderr)
	}
	after, err := cms.Get(ctx, "exported", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("stale uid with --force-replace: the live object is gone: %v", err)
	}
	if after.GetUID() != before.GetUID() {
		t.Errorf("stale uid with --force-replace: the live object was replaced (uid %s -> %s)", before.GetUID(), after.GetUID())
	}
}
