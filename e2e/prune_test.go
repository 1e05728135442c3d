//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

func memberDeployment(name string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  labels: {app: shared}\nspec:\n" +
		"  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name + "}}\n" +
		"    spec: {containers: [{name: web, image: nginx:1.27}]}\n"
}

// pruneV1 and pruneV2: v2 drops Deployment b and ConfigMap c2.
var (
	pruneV1 = bundle(configMap("c1", "", map[string]string{"k": "v"}), configMap("c2", "", map[string]string{"k": "v"}), memberDeployment("a"), memberDeployment("b"))
	pruneV2 = bundle(configMap("c1", "", map[string]string{"k": "v"}), memberDeployment("a"))
)

// liveState maps kind/name to the resourceVersion of the ConfigMaps and the
// generation of the Deployments of a namespace (a Deployment's
// resourceVersion moves with its status, written by its controller).
func liveState(t *testing.T, kc, ns string) map[string]string {
	t.Helper()
	state := map[string]string{}
	for kind, gvr := range map[string]schema.GroupVersionResource{"configmap": testcluster.ConfigMapsGVR, "deployment": testcluster.DeploymentsGVR} {
		list, err := testcluster.Dynamic(t, kc).Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Items {
			if o.GetName() != "kube-root-ca.crt" {
				v := o.GetResourceVersion()
				if kind == "deployment" {
					v = fmt.Sprint("generation ", o.GetGeneration())
				}
				state[kind+"/"+o.GetName()] = v
			}
		}
	}
	return state
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestPruneRemovesExactlyWhatLeftTheInput(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-exact"
	testcluster.CreateNamespace(t, kc, ns)
	// Same labels as the members, not in the set: must survive every prune.
	bystanders := bundle(
		strings.Replace(configMap("bystander", "", map[string]string{"k": "v"}), "metadata:\n", "metadata:\n  labels: {app: shared}\n", 1),
		memberDeployment("bystander"),
	)
	if code, _, stderr := kapplyIn(t, kc, bystanders, "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatal(stderr)
	}
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "app", "--prune"}
	if code, stdout, stderr := kapplyIn(t, kc, pruneV1, args...); code != exitOK {
		t.Fatalf("v1: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitDeploymentsSettled(t, kc, ns)
	touched := []schema.GroupVersionResource{testcluster.ConfigMapsGVR, testcluster.DeploymentsGVR, testcluster.SecretsGVR}
	objectsBefore := objectState(t, kc, ns, touched...)
	before := liveState(t, kc, ns)

	// diff sees the members' label (no difference for v1) and lists what
	// v2 would prune, writing nothing.
	if code, stdout, stderr := kapplyIn(t, kc, pruneV1, "diff", "-f", "-", "-n", ns, "--applyset", "app", "--prune"); code != exitOK || stdout != "" {
		t.Errorf("diff of v1: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := kapplyIn(t, kc, pruneV2, "diff", "-f", "-", "-n", ns, "--applyset", "app", "--prune")
	wantDiff := "# configmap/c2 -n prune-exact: prune (applyset secret/app -n prune-exact)\n" +
		"# deployment.apps/b -n prune-exact: prune (applyset secret/app -n prune-exact)\n"
	if code != exitDiffers || stdout != wantDiff {
		t.Errorf("diff of v2: exit %d, stdout (-want +got):\n%s\nstderr %s", code, cmp.Diff(wantDiff, stdout), stderr)
	}
	if diff := cmp.Diff(before, liveState(t, kc, ns)); diff != "" {
		t.Errorf("diff changed the cluster (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(objectsBefore, objectState(t, kc, ns, touched...)); diff != "" {
		t.Errorf("diff changed objects (-want +got):\n%s", diff)
	}

	code, stdout, stderr = kapplyIn(t, kc, pruneV2, args...)
	if code != exitOK {
		t.Fatalf("v2: exit %d\n%s\n%s", code, stdout, stderr)
	}
	want := "configmap/c1 -n prune-exact unchanged\n" +
		"deployment.apps/a -n prune-exact unchanged\n" +
		"deployment.apps/b -n prune-exact pruned\n" +
		"configmap/c2 -n prune-exact pruned\n" +
		"4 objects: 0 created, 0 configured, 2 unchanged, 2 pruned\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("v2 output (-want +got):\n%s", diff)
	}
	after := liveState(t, kc, ns)
	delete(before, "deployment/b")
	delete(before, "configmap/c2")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("live state besides the two pruned objects changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"configmap/bystander", "configmap/c1", "deployment/a", "deployment/bystander"}, keys(after)); diff != "" {
		t.Errorf("objects left (-want +got):\n%s", diff)
	}
	// Whole objects, not only generations: besides the two pruned, nothing
	// was written, the members, the bystanders and the parent included.
	delete(objectsBefore, "deployments/b")
	delete(objectsBefore, "configmaps/c2")
	if diff := cmp.Diff(objectsBefore, objectState(t, kc, ns, touched...)); diff != "" {
		t.Errorf("objects besides the two pruned changed (-want +got):\n%s", diff)
	}
	parent, err := testcluster.Dynamic(t, kc).Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(ns).Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := parent.GetAnnotations()[applyset.GKsAnnotation]; got != "ConfigMap,Deployment.apps" {
		t.Errorf("parent records kinds %q", got)
	}
	if got := parent.GetAnnotations()[applyset.ToolingAnnotation]; !strings.HasPrefix(got, "kapply/") {
		t.Errorf("parent tooling %q", got)
	}
}

func TestPruneRefusals(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-refusals"
	testcluster.CreateNamespace(t, kc, ns)
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "guarded", "--prune"}
	if code, _, stderr := kapplyIn(t, kc, pruneV1, args...); code != exitOK {
		t.Fatal(stderr)
	}
	all := []string{"configmap/c1", "configmap/c2", "deployment/a", "deployment/b"}

	t.Run("empty input", func(t *testing.T) {
		code, _, stderr := kapplyIn(t, kc, "", args...)
		if code != exitUsage || !strings.Contains(stderr, "the input is empty: pruning would delete every member of secret/guarded -n prune-refusals; use --allow-empty") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
	t.Run("a failed object", func(t *testing.T) {
		in := bundle(pruneV2, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n")
		code, stdout, stderr := kapplyIn(t, kc, in, args...)
		if code != exitFailed || !strings.Contains(stderr, "nothing was pruned: 1 object not applied") || strings.Contains(stdout, "pruned") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
		}
	})
	t.Run("max-prune", func(t *testing.T) {
		code, _, stderr := kapplyIn(t, kc, pruneV2, append(args, "--max-prune", "1")...)
		if code != exitFailed || !strings.Contains(stderr, "nothing was pruned: the run would prune 2 objects, more than --max-prune 1") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
	if diff := cmp.Diff(all, keys(liveState(t, kc, ns))); diff != "" {
		t.Errorf("a refused prune deleted something (-want +got):\n%s", diff)
	}
	t.Run("allow-empty deletes the whole set", func(t *testing.T) {
		code, stdout, stderr := kapplyIn(t, kc, "", append(args, "--allow-empty")...)
		if code != exitOK || !strings.Contains(stdout, "4 objects: 0 created, 0 configured, 0 unchanged, 4 pruned") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		if left := keys(liveState(t, kc, ns)); len(left) != 0 {
			t.Errorf("left after --allow-empty: %v", left)
		}
	})
}

func TestObjectOfAnotherApplySetIsNotAdopted(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-ownership"
	testcluster.CreateNamespace(t, kc, ns)
	in := configMap("owned", "", map[string]string{"k": "v"})
	if code, _, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--applyset", "first"); code != exitOK {
		t.Fatal(stderr)
	}
	code, stdout, _ := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--applyset", "second", "--prune")
	firstID := applyset.ID("first", ns, "Secret", "")
	if code != exitFailed || !strings.Contains(stdout, "object belongs to another ApplySet: it is labelled applyset.kubernetes.io/part-of="+firstID) || !strings.Contains(stdout, "--overwrite-ownership") {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	partOf := func() string {
		t.Helper()
		cm, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), "owned", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.GetLabels()["applyset.kubernetes.io/part-of"]
	}
	if got := partOf(); got != firstID {
		t.Errorf("after the refused apply the object is labelled part-of=%q, want the first set's %q", got, firstID)
	}
	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--applyset", "second", "--overwrite-ownership")
	if code != exitOK || !strings.Contains(stdout, "configmap/owned -n prune-ownership configured") {
		t.Fatalf("--overwrite-ownership: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got, want := partOf(), applyset.ID("second", ns, "Secret", ""); got != want {
		t.Errorf("after --overwrite-ownership the object is labelled part-of=%q, want the second set's %q", got, want)
	}
}

// An interrupted run leaves the parent with the superset of old and new
// members, so the next full run still prunes everything that left: here
// a Secret, of a kind the set did not hold before, that only the
// interrupted run wrote.
func TestInterruptedRunThenFullRunPrunesCorrectly(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-interrupted"
	testcluster.CreateNamespace(t, kc, ns)
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "app", "--prune"}
	if code, _, stderr := kapplyIn(t, kc, pruneV1, args...); code != exitOK {
		t.Fatal(stderr)
	}
	// v2 brings Secret s and Deployment c. The parent is written first,
	// with the superset; s goes with the ConfigMaps, before the
	// workloads; c's apply is held in the proxy until the run is
	// interrupted, so it never reaches the server and the run cannot end
	// on its own.
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData: {k: v}\n"
	v2 := bundle(secret, pruneV2, memberDeployment("c"))
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Latency, Latency: 10 * time.Minute, Methods: []string{"PATCH"}, Path: regexp.MustCompile(`/deployments/c$`), Rate: 1},
	}})
	p := startKapply(t, v2, &lockedBuffer{}, append(args, "--kubeconfig", pkc, "--cache-dir", filepath.Join(t.TempDir(), "cache"))...)
	secrets := testcluster.Dynamic(t, kc).Resource(testcluster.SecretsGVR).Namespace(ns)
	p.until(t, 2*time.Minute, "secret/s on the cluster", func() bool {
		_, err := secrets.Get(context.Background(), "s", metav1.GetOptions{})
		return err == nil
	})
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, time.Minute, "after SIGINT"); code != exitInterrupted {
		t.Fatalf("interrupted run: exit %d, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
	}
	for _, w := range proxy.Writes() {
		if strings.HasSuffix(w.Path, "/deployments/c") && w.UpstreamStatus != 0 {
			t.Errorf("deployment c reached the server (%d): the run was not interrupted where the test meant", w.UpstreamStatus)
		}
	}
	parent, err := secrets.Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := parent.GetAnnotations()[applyset.GKsAnnotation]; got != "ConfigMap,Deployment.apps,Secret" {
		t.Errorf("after the interrupted run the parent records %q, want the superset", got)
	}
	if diff := cmp.Diff([]string{"configmap/c1", "configmap/c2", "deployment/a", "deployment/b"}, keys(liveState(t, kc, ns))); diff != "" {
		t.Errorf("the interrupted run pruned or created (-want +got):\n%s", diff)
	}

	// The full run of v1 prunes exactly s, the member only the parent's
	// superset knew of.
	code, stdout, stderr := kapplyIn(t, kc, pruneV1, args...)
	if code != exitOK {
		t.Fatalf("full run of v1: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var pruned []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasSuffix(line, " pruned") && !strings.Contains(line, " objects: ") {
			pruned = append(pruned, line)
		}
	}
	if diff := cmp.Diff([]string{"secret/s -n " + ns + " pruned"}, pruned); diff != "" {
		t.Errorf("full run of v1 pruned (-want +got):\n%s\n%s", diff, stdout)
	}
	if _, err := secrets.Get(context.Background(), "s", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("secret s, written by the interrupted run and then removed from the input: %v, want not found", err)
	}
	if diff := cmp.Diff([]string{"configmap/c1", "configmap/c2", "deployment/a", "deployment/b"}, keys(liveState(t, kc, ns))); diff != "" {
		t.Errorf("after the full run of v1 (-want +got):\n%s", diff)
	}
	// Then v2 without the Secret prunes b and c2.
	if code, stdout, stderr := kapplyIn(t, kc, pruneV2, args...); code != exitOK {
		t.Fatalf("full run of v2: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if diff := cmp.Diff([]string{"configmap/c1", "deployment/a"}, keys(liveState(t, kc, ns))); diff != "" {
		t.Errorf("after the full run of v2 (-want +got):\n%s", diff)
	}
}

func TestKubectlApplySetInterop(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-kubectl"
	testcluster.CreateNamespace(t, kc, ns)
	bin := os.Getenv("DEVCLUSTER_BIN")
	if bin == "" {
		t.Fatal("DEVCLUSTER_BIN is not set")
	}
	kubectl := exec.Command(bin, "kubectl", "--kubeconfig", kc, "apply", "-n", ns, "--server-side", "--prune", "--applyset=kset", "-f", "-")
	kubectl.Env = append(os.Environ(), "KUBECTL_APPLYSET=true")
	kubectl.Stdin = strings.NewReader(pruneV1)
	if out, err := kubectl.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply --applyset: %v\n%s", err, out)
	}
	parent, err := testcluster.Dynamic(t, kc).Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(ns).Get(context.Background(), "kset", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := parent.GetLabels()[applyset.ParentIDLabel], applyset.ID("kset", ns, "Secret", ""); got != want {
		t.Errorf("kubectl's applyset ID %q, kapply computes %q", got, want)
	}

	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "kset", "--prune"}
	code, _, stderr := kapplyIn(t, kc, pruneV2, args...)
	if code != exitUsage || !strings.Contains(stderr, `is managed by tooling "kubectl" instead of "kapply": use --applyset-takeover`) {
		t.Fatalf("without takeover: exit %d, stderr %s", code, stderr)
	}
	if diff := cmp.Diff([]string{"configmap/c1", "configmap/c2", "deployment/a", "deployment/b"}, keys(liveState(t, kc, ns))); diff != "" {
		t.Errorf("a refused take-over changed objects (-want +got):\n%s", diff)
	}
	code, stdout, stderr := kapplyIn(t, kc, pruneV2, append(args, "--applyset-takeover")...)
	if code != exitOK || !strings.Contains(stdout, "2 pruned") {
		t.Fatalf("takeover: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if diff := cmp.Diff([]string{"configmap/c1", "deployment/a"}, keys(liveState(t, kc, ns))); diff != "" {
		t.Errorf("after takeover and prune (-want +got):\n%s", diff)
	}
	// kubectl now refuses the set, by design of its implementation.
	kubectl = exec.Command(bin, "kubectl", "--kubeconfig", kc, "apply", "-n", ns, "--server-side", "--prune", "--applyset=kset", "-f", "-")
	kubectl.Env = append(os.Environ(), "KUBECTL_APPLYSET=true")
	kubectl.Stdin = strings.NewReader(pruneV2)
	out, err := kubectl.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `managed by tooling "kapply" instead of "kubectl"`) {
		t.Errorf("kubectl on a kapply set: %v\n%s", err, out)
	}
}

func TestDeleteWaitsForANamespaceFullOfObjects(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "delete-full"
	testcluster.Fresh(t, kc, testcluster.NamespacesGVR, ns)
	in := bundle("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n",
		configMap("c1", ns, map[string]string{"k": "v"}), configMap("c2", ns, map[string]string{"k": "v"}),
		strings.Replace(memberDeployment("a"), "metadata:\n", "metadata:\n  namespace: "+ns+"\n", 1))
	if code, _, stderr := kapplyIn(t, kc, in, "apply", "-f", "-"); code != exitOK {
		t.Fatal(stderr)
	}
	// Only the namespace is deleted; the namespace controller deletes the
	// rest and removes its finalizer, and --wait waits for all of it.
	code, stdout, stderr := kapplyIn(t, kc, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n", "delete", "-f", "-", "--wait", "--timeout", "2m")
	if code != exitOK || stdout != "namespace/"+ns+" deleted\n1 object: 1 deleted\n" {
		t.Fatalf("exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
	}
	_, err := testcluster.Dynamic(t, kc).Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(context.Background(), ns, metav1.GetOptions{})
	if err == nil {
		t.Error("namespace still there after delete --wait returned")
	}
	code, stdout, _ = kapplyIn(t, kc, in, "delete", "-f", "-", "--ignore-not-found")
	if code != exitOK || !strings.Contains(stdout, "4 objects: 4 absent") {
		t.Errorf("second delete: exit %d\n%s", code, stdout)
	}
}

func TestDeleteApplySetDeletesMembersAndParent(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "delete-applyset"
	testcluster.CreateNamespace(t, kc, ns)
	if code, _, stderr := kapplyIn(t, kc, pruneV1, "apply", "-f", "-", "-n", ns, "--applyset", "gone"); code != exitOK {
		t.Fatal(stderr)
	}
	code, stdout, stderr := kapplyIn(t, kc, "", "delete", "--applyset", "gone", "-n", ns)
	if code != exitOK || !strings.Contains(stdout, "secret/gone -n delete-applyset deleted") || !strings.Contains(stdout, "5 objects: 5 deleted") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if left := keys(liveState(t, kc, ns)); len(left) != 0 {
		t.Errorf("left: %v", left)
	}
	if _, err := testcluster.Dynamic(t, kc).Resource(testcluster.SecretsGVR).Namespace(ns).Get(context.Background(), "gone", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the parent secret/gone after delete --applyset: %v, want not found", err)
	}
}
