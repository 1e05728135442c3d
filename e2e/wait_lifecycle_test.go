//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// A Job with ttlSecondsAfterFinished: 0 is deleted as soon as it
// completes; it stays ready for the wait, which goes on until the rest
// of the bundle is ready (issue 13 F).
func TestWaitLatchesReadinessOfAJobDeletedOnCompletion(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-latch"
	testcluster.CreateNamespace(t, kc, ns)
	in := bundle(waitJob("once", "", "  ttlSecondsAfterFinished: 0\n"), waitService("edge", "LoadBalancer"))
	events, wait := kapplyStreaming(t, kc, in, "apply", "-f", "-", "-n", ns, "--wait", "--wait-for-load-balancer", "--timeout", "1m", "-o", "json")
	jobDone := false
	for ev := range events {
		if ev.Object.Kind == "Job" && ev.State == "Current" {
			jobDone = true
			break
		}
	}
	if !jobDone {
		code, stderr := wait()
		t.Fatalf("the Job was never reported complete: exit %d\n%s", code, stderr)
	}
	dyn := testcluster.Dynamic(t, kc)
	eventually(t, time.Minute, "the TTL controller deleted the completed Job", func() bool {
		_, err := dyn.Resource(waitJobsGVR).Namespace(ns).Get(context.Background(), "once", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	// Only now does the Service get its address.
	patch := `{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}`
	if _, err := dyn.Resource(waitServicesGVR).Namespace(ns).Patch(context.Background(), "edge", types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
	var after []string
	for ev := range events { // until the command ends
		after = append(after, ev.Object.Kind+": "+ev.State)
	}
	if code, stderr := wait(); code != exitOK {
		t.Fatalf("apply --wait after the Job was deleted: exit %d, want 0\n%s", code, stderr)
	}
	for _, ev := range after {
		if strings.HasPrefix(ev, "Job: ") {
			t.Errorf("the Job was reported again after it was ready: %s", ev)
		}
	}
}

// A paused Deployment: rolled out, it is ready; not rolled out, nothing
// will progress until it is resumed, so the wait fails at once
// (issue 13 G). Either way the wait ends well before its timeout.
func TestWaitForPausedDeployments(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-paused"
	testcluster.CreateNamespace(t, kc, ns)
	args := []string{"apply", "-f", "-", "-n", ns, "--wait", "--timeout", "2m"}

	t.Run("paused before its first rollout", func(t *testing.T) {
		code, stdout, stderr := kapplyIn(t, kc, waitDeployment("frozen", 1, "", "  paused: true\n"), args...)
		if code != exitFailed || !strings.Contains(stderr, "deployment.apps/frozen -n wait-paused: failed: paused: resume it") {
			t.Errorf("exit %d, want %d and the reason\n%s%s", code, exitFailed, stdout, stderr)
		}
	})
	t.Run("paused once rolled out", func(t *testing.T) {
		if code, stdout, stderr := kapplyIn(t, kc, waitDeployment("steady", 1, "", ""), args...); code != exitOK {
			t.Fatalf("first rollout: exit %d\n%s%s", code, stdout, stderr)
		}
		code, stdout, stderr := kapplyIn(t, kc, waitDeployment("steady", 1, "", "  paused: true\n"), args...)
		if code != exitOK || !strings.Contains(stderr, "deployment.apps/steady -n wait-paused: ready: rolled out, 1/1 available (paused)") {
			t.Errorf("exit %d, want 0\n%s%s", code, stdout, stderr)
		}
	})
}
