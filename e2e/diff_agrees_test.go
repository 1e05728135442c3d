//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

var diffDeploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

func memoryDeployment(name, memory string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  replicas: 0
  selector:
    matchLabels: {app: mem}
  template:
    metadata:
      labels: {app: mem}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          limits: {memory: %s}
`, name, memory)
}

// TestApplyAgreesWithDiff holds apply's action to diff's verdict on the
// same input (issue 20 item 5): apply says unchanged exactly when its
// write stored nothing (the resourceVersion stayed), and a write that
// only changes field ownership is a change for both.
func TestApplyAgreesWithDiff(t *testing.T) {
	// A cluster without controllers: the deployment controller's writes
	// would move the resourceVersion after apply's.
	kc := testcluster.New(t)
	ns := "diff-agrees"
	testcluster.CreateNamespace(t, kc, ns)
	rv := func(name string) string {
		return getObject(t, kc, diffDeploymentsGVR, ns, name).GetResourceVersion()
	}
	// agree applies in and checks that diff, just before, said what apply
	// then did, and that the resourceVersion moved exactly when apply
	// said configured.
	agree := func(t *testing.T, name, in, wantAction string, wantDiffExit int) {
		t.Helper()
		code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns)
		if code != wantDiffExit {
			t.Fatalf("diff: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantDiffExit, stdout, stderr)
		}
		before := rv(name)
		results := applyJSON(t, kc, in, "apply", "-f", "-", "-n", ns)
		after := rv(name)
		if len(results) != 1 || results[0].Action != wantAction {
			t.Fatalf("apply: %+v, want one %s", results, wantAction)
		}
		if moved := before != after; moved != (wantAction != "unchanged") {
			t.Errorf("apply said %s but the resourceVersion went %s -> %s", wantAction, before, after)
		}
	}

	t.Run("2Gi to 2147483648 is a change", func(t *testing.T) {
		applyForDiff(t, kc, memoryDeployment("mem", "2Gi"), "-n", ns)
		v2 := memoryDeployment("mem", "2147483648")
		agree(t, "mem", v2, "configured", exitDiffers)
		agree(t, "mem", v2, "unchanged", exitOK)
	})

	t.Run("ownership only", func(t *testing.T) {
		in := memoryDeployment("shared", "1Gi")
		mustKubectl(t, kc, in, "apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-")
		code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns)
		if code != exitDiffers {
			t.Fatalf("diff: exit %d, want %d (kapply would take a share of the fields)\nstdout:\n%s\nstderr:\n%s", code, exitDiffers, stdout, stderr)
		}
		if want := "field ownership only"; !strings.Contains(stdout, want) {
			t.Errorf("diff does not say %q:\n%s", want, stdout)
		}
		agree(t, "shared", in, "configured", exitDiffers)
		agree(t, "shared", in, "unchanged", exitOK)
	})
}
