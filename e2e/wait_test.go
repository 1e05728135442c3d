//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/internal/testcluster"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// The cluster of these tests has kube-controller-manager, kube-scheduler
// and a kwok node with kwok's "fast" pod stages: scheduled pods become
// Running and Ready at once, and pods owned by a Job Succeeded.

var (
	waitPodsGVR     = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	waitJobsGVR     = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	waitServicesGVR = schema.GroupVersionResource{Version: "v1", Resource: "services"}
)

// waitDeployment is a Deployment of replicas pods; nodeSelector, when set,
// is a label no node has, so that its pods never schedule.
func waitDeployment(name string, replicas int, nodeSelector string, extraSpec string) string {
	sel := ""
	if nodeSelector != "" {
		sel = fmt.Sprintf("      nodeSelector: {%s: \"true\"}\n", nodeSelector)
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
%[4]s  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
%[3]s      containers:
      - {name: app, image: registry.example/app:1}
`, name, replicas, sel, extraSpec)
}

func waitService(name, typ string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\nspec:\n  type: %s\n  selector: {app: %s}\n  ports:\n  - port: 80\n", name, typ, name)
}

func waitIngress(name string) string {
	return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %[1]s\nspec:\n  defaultBackend:\n    service: {name: %[1]s, port: {number: 80}}\n", name)
}

// waitJob is a Job of one pod; nodeSelector as for waitDeployment.
func waitJob(name, nodeSelector, extraSpec string) string {
	sel := ""
	if nodeSelector != "" {
		sel = fmt.Sprintf("      nodeSelector: {%s: \"true\"}\n", nodeSelector)
	}
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: %s
spec:
%s  template:
    spec:
      restartPolicy: Never
%s      containers:
      - {name: task, image: registry.example/task:1}
`, name, extraSpec, sel)
}

func TestApplyWaitRollsOutAndStatusSaysReady(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-rollout"
	testcluster.CreateNamespace(t, kc, ns)
	in := bundle(waitDeployment("web", 2, "", ""), waitService("web", "ClusterIP"), waitIngress("web"))

	code, stdout, stderr := kapplyIn(t, kc, in, "status", "-f", "-", "-n", ns)
	if code != exitFailed {
		t.Fatalf("status before apply: exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	goldenOutput(t, "status-missing.golden", stdout)

	code, stdout, stderr = kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--wait", "--timeout", "2m")
	if code != exitOK {
		t.Fatalf("apply --wait: exit %d\n%s%s", code, stdout, stderr)
	}
	goldenOutput(t, "apply-wait.golden", stdout)
	// The Deployment's last progress line says it rolled out. Not the
	// last line of all: the Service and Ingress are ready at once, but
	// their lines may come after a rollout that kwok makes as fast.
	if want, got := "deployment.apps/web -n wait-rollout: ready: rolled out, 2/2 available", lastLineAbout(stderr, "deployment.apps/web "); got != want {
		t.Errorf("the Deployment's last progress line is %q, want %q:\n%s", got, want, stderr)
	}

	// The wait ended because the rollout is done, not before.
	dep, err := testcluster.Dynamic(t, kc).Resource(testcluster.DeploymentsGVR).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"updatedReplicas", "readyReplicas", "availableReplicas"} {
		if n, _, _ := unstructured.NestedInt64(dep.Object, "status", field); n != 2 {
			t.Errorf("after the wait, status.%s = %d, want 2", field, n)
		}
	}
	pods, err := testcluster.Dynamic(t, kc).Resource(waitPodsGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	var running []string
	for _, p := range pods.Items {
		phase, _, _ := unstructured.NestedString(p.Object, "status", "phase")
		node, _, _ := unstructured.NestedString(p.Object, "spec", "nodeName")
		running = append(running, phase+" on "+node)
	}
	if got := strings.Join(running, ", "); got != "Running on kwok-node-0, Running on kwok-node-0" {
		t.Errorf("pods after the wait: %s", got)
	}

	for _, format := range []string{"text", "json"} {
		code, stdout, stderr := kapplyIn(t, kc, in, "status", "-f", "-", "-n", ns, "-o", format)
		if code != exitOK {
			t.Fatalf("status -o %s: exit %d\n%s%s", format, code, stdout, stderr)
		}
		goldenOutput(t, "status-ready-"+format+".golden", stdout)
	}
}

func TestApplyWaitTimesOutNamingWhatIsNotReady(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-timeout"
	testcluster.CreateNamespace(t, kc, ns)
	in := bundle(waitDeployment("stuck", 1, "no-such-node-label", ""), configMap("settings", "", map[string]string{"k": "v"}))

	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--wait", "--timeout", "10s")
	if code != exitTimeout {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitTimeout, stdout, stderr)
	}
	wantErr := "error: timed out after 10s with 1 of 2 objects not ready:\n" +
		"  -#1: deployment.apps/stuck -n wait-timeout: in progress: 1/1 updated, 0/1 ready, 0/1 available: Deployment does not have minimum availability\n"
	if !strings.HasSuffix(stderr, wantErr) {
		t.Errorf("stderr does not end with the report %q:\n%s", wantErr, stderr)
	}
	if want := "2 objects: 1 ready, 1 in progress\n"; !strings.HasSuffix(stdout, want) {
		t.Errorf("stdout does not end with %q:\n%s", want, stdout)
	}

	// kapply wait -o json: events, then a summary naming it; JSON only.
	code, stdout, _ = kapplyIn(t, kc, in, "wait", "-f", "-", "-n", ns, "--timeout", "1s", "-o", "json")
	if code != exitTimeout {
		t.Fatalf("wait: exit %d, want %d\n%s", code, exitTimeout, stdout)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var sum jsonReadinessSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("last line is not a summary: %v\n%s", err, stdout)
	}
	// The one-second clock starts before the first LISTs, so on a loaded
	// machine an object may still be "not read yet" when it runs out.
	// What is certain: a timeout, with the Deployment (which can never
	// become ready) not ready, read or not, and the ConfigMap ready or
	// not read yet.
	if sum.Schema != ReadinessSummarySchema || sum.Result != "timeout" || sum.Total != 2 {
		t.Errorf("summary %+v, want a %s timeout of 2 objects", sum, ReadinessSummarySchema)
	}
	deployment := jsonObject{Group: "apps", Kind: "Deployment", Namespace: ns, Name: "stuck"}
	stuck := jsonReadiness{
		Object: deployment, Source: jsonSource{Path: "-", Doc: 1, Line: 1},
		State: "InProgress", Message: "1/1 updated, 0/1 ready, 0/1 available: Deployment does not have minimum availability",
		Pods: &jsonPods{Ready: 0, Desired: 1},
	}
	notRead := func(r jsonReadiness) bool { return r.State == "Unknown" && r.Message == "not read yet" }
	switch {
	case len(sum.NotReady) == 0 || sum.NotReady[0].Object != deployment:
		t.Errorf("the not-ready list %+v does not start with the Deployment", sum.NotReady)
	case !notRead(sum.NotReady[0]):
		if diff := cmp.Diff(stuck, sum.NotReady[0]); diff != "" {
			t.Errorf("the Deployment's report (-want +got):\n%s", diff)
		}
	}
	if len(sum.NotReady) == 2 && (sum.NotReady[1].Object.Kind != "ConfigMap" || !notRead(sum.NotReady[1])) {
		t.Errorf("the ConfigMap is reported not ready and read: %+v", sum.NotReady[1])
	}
	if len(sum.NotReady) > 2 || sum.States["Current"] != 2-len(sum.NotReady) || sum.States["Failed"] != 0 {
		t.Errorf("states %v with %d not ready: want the ConfigMap ready unless not read yet", sum.States, len(sum.NotReady))
	}
	for _, l := range lines[:len(lines)-1] {
		var ev jsonReadiness
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Schema != WaitEventSchema {
			t.Errorf("not a wait event: %s", l)
		}
	}
}

func TestDeploymentPastItsProgressDeadlineFailsTheWait(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-deadline"
	testcluster.CreateNamespace(t, kc, ns)
	// The deployment controller gives up after 2s; a 2m timeout that ran
	// out would exit 3, so exit 1 shows the wait failed fast.
	in := waitDeployment("late", 1, "no-such-node-label", "  progressDeadlineSeconds: 2\n")
	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--wait", "--timeout", "2m")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	for _, want := range []string{
		"error: 1 of 1 object failed:\n  -#1: deployment.apps/late -n wait-deadline: failed: ProgressDeadlineExceeded: ReplicaSet \"late-",
		"\" has timed out progressing\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}
}

func TestWaitForJobs(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-jobs"
	testcluster.CreateNamespace(t, kc, ns)

	t.Run("a job that completes", func(t *testing.T) {
		code, stdout, stderr := kapplyIn(t, kc, waitJob("migrate", "", ""), "apply", "-f", "-", "-n", ns, "--wait", "--timeout", "2m")
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		if want := "job.batch/migrate -n wait-jobs: ready: complete, 1/1 succeeded\n"; !strings.HasSuffix(stderr, want) {
			t.Errorf("the last progress line is not %q:\n%s", want, stderr)
		}
		job, err := testcluster.Dynamic(t, kc).Resource(waitJobsGVR).Namespace(ns).Get(context.Background(), "migrate", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n, _, _ := unstructured.NestedInt64(job.Object, "status", "succeeded"); n != 1 {
			t.Errorf("after the wait, status.succeeded = %d, want 1", n)
		}
	})

	// kwok's fast stages complete every Job pod that runs, so this Job's
	// pod can never be scheduled and its activeDeadlineSeconds runs out:
	// the Job controller marks it Failed (DeadlineExceeded) about a second
	// later. A 2m timeout that ran out would exit 3: exit 1 is fail-fast.
	t.Run("a job that fails", func(t *testing.T) {
		in := waitJob("doomed", "no-such-node-label", "  activeDeadlineSeconds: 1\n  backoffLimit: 0\n")
		code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--wait", "--timeout", "2m")
		if code != exitFailed {
			t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
		}
		wantErr := "error: 1 of 1 object failed:\n  -#1: job.batch/doomed -n wait-jobs: failed: DeadlineExceeded: Job was active longer than specified deadline\n"
		if !strings.HasSuffix(stderr, wantErr) {
			t.Errorf("stderr does not end with %q:\n%s", wantErr, stderr)
		}
		if want := "1 object: 0 ready, 1 failed\n"; !strings.HasSuffix(stdout, want) {
			t.Errorf("stdout does not end with %q:\n%s", want, stdout)
		}
	})
}

// A custom resource's Ready condition decides, and the wait follows its
// changes through the watch: the status is changed only once the wait has
// reported the first state.
func TestWaitFollowsACustomResourceReadyCondition(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-custom"
	testcluster.CreateNamespace(t, kc, ns)
	crd := crdOf("waittest.kapply.dev", "Gadget", "gadgets")
	cr := "apiVersion: waittest.kapply.dev/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: 1\n"
	dyn := testcluster.Dynamic(t, kc)
	gadgets := schema.GroupVersionResource{Group: "waittest.kapply.dev", Version: "v1", Resource: "gadgets"}
	testcluster.Fresh(t, kc, testcluster.CRDsGVR, "gadgets.waittest.kapply.dev")

	// The CRD has a status subresource: until a controller writes
	// status, nothing has seen the object (issue 13 E). A custom
	// resource annotated kapply.dev/wait: skip is left out of the wait.
	skipped := "apiVersion: waittest.kapply.dev/v1\nkind: Gadget\nmetadata:\n  name: skipped\n  annotations: {kapply.dev/wait: skip}\n"
	code, stdout, stderr := kapplyIn(t, kc, bundle(crd, cr, skipped), "apply", "-f", "-", "-n", ns, "--wait", "--timeout", "3s")
	wantErr := "-#2: gadget.waittest.kapply.dev/g -n wait-custom: in progress: no status yet: is its controller running?\n"
	if code != exitTimeout || !strings.Contains(stderr, "with 1 of 3 objects not ready:") || !strings.HasSuffix(stderr, wantErr) {
		t.Fatalf("apply --wait with nothing writing status: exit %d, want %d and %q\n%s%s", code, exitTimeout, wantErr, stdout, stderr)
	}

	setReady := func(status, reason, message string) {
		t.Helper()
		patch := fmt.Sprintf(`{"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":%q,"reason":%q,"message":%q}]}}`, status, reason, message)
		if _, err := dyn.Resource(gadgets).Namespace(ns).Patch(context.Background(), "g", types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
			t.Fatal(err)
		}
	}
	setReady("False", "Provisioning", "waiting for the database")
	code, stdout, _ = kapplyIn(t, kc, cr, "status", "-f", "-", "-n", ns)
	if want := "gadget.waittest.kapply.dev/g -n wait-custom  in progress  -     not Ready: Provisioning: waiting for the database\n"; code != exitFailed || !strings.Contains(stdout, want) {
		t.Fatalf("status: exit %d, want %d and a row %q:\n%s", code, exitFailed, want, stdout)
	}

	events, wait := kapplyStreaming(t, kc, cr, "wait", "-f", "-", "-n", ns, "--timeout", "2m", "-o", "json")
	first := nextEvent(t, events, "the first wait event")
	if first.State != "InProgress" || first.Message != "not Ready: Provisioning: waiting for the database" {
		t.Fatalf("first event %+v", first)
	}
	setReady("True", "Provisioned", "")
	second := nextEvent(t, events, "the wait event after the status changed")
	if second.State != "Current" || second.Message != "Ready" {
		t.Errorf("second event %+v", second)
	}
	if code, stderr := wait(); code != exitOK {
		t.Errorf("wait: exit %d\n%s", code, stderr)
	}
}

func TestStatusWaitsForLoadBalancersOnlyWhenAsked(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "wait-lb"
	testcluster.CreateNamespace(t, kc, ns)
	in := waitService("edge", "LoadBalancer")
	if code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--wait", "--timeout", "1m"); code != exitOK {
		t.Fatalf("apply --wait: exit %d\n%s%s", code, stdout, stderr)
	}
	row := func(args ...string) (int, string) {
		code, stdout, _ := kapplyIn(t, kc, in, append([]string{"status", "-f", "-", "-n", ns}, args...)...)
		return code, strings.Split(stdout, "\n")[1]
	}
	// No load-balancer controller runs here: the address is never set.
	if code, got := row("--wait-for-load-balancer"); code != exitFailed || got != "service/edge -n wait-lb  in progress  -     waiting for a load-balancer address" {
		t.Errorf("exit %d, row %q", code, got)
	}
	patch := `{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}`
	if _, err := testcluster.Dynamic(t, kc).Resource(waitServicesGVR).Namespace(ns).Patch(context.Background(), "edge", types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
	if code, got := row("--wait-for-load-balancer"); code != exitOK || got != "service/edge -n wait-lb  ready  -     load balancer at 192.0.2.10" {
		t.Errorf("exit %d, row %q", code, got)
	}
}

// lastLineAbout returns the last line of text that starts with prefix.
func lastLineAbout(text, prefix string) string {
	last := ""
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			last = line
		}
	}
	return last
}

// nextEvent returns the next event, failing the test when none comes
// within a minute or kapply's stdout ends first.
func nextEvent(t *testing.T, events <-chan jsonReadiness, what string) jsonReadiness {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("kapply's output ended before %s", what)
		}
		return ev
	case <-time.After(time.Minute):
		t.Fatalf("no %s within a minute", what)
	}
	return jsonReadiness{}
}

// kapplyStreaming runs the kapply binary and hands over each JSON line of
// its stdout as it is written, to act between events. wait returns the
// exit code and stderr once the command ends.
func kapplyStreaming(t *testing.T, kubeconfig, stdin string, args ...string) (events <-chan jsonReadiness, wait func() (int, string)) {
	t.Helper()
	args = append(args, "--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(t.TempDir(), "cache"))
	cmd := exec.Command(testcluster.KapplyBin(t), args...)
	errOut := &lockedBuffer{}
	cmd.Stdin, cmd.Stderr = strings.NewReader(stdin), errOut
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // a no-op once it exited
	ch := make(chan jsonReadiness, 100)
	exited := make(chan error, 1)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var ev jsonReadiness
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Schema == WaitEventSchema {
				ch <- ev
			}
		}
		exited <- cmd.Wait() // once stdout is read to its end
	}()
	return ch, func() (int, string) {
		var err error
		select {
		case err = <-exited:
		case <-time.After(runBound):
			_ = cmd.Process.Kill()
			t.Fatalf("kapply %s did not exit within %s\nstderr:\n%s", strings.Join(args, " "), runBound, errOut.String())
		}
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), errOut.String()
	}
}
