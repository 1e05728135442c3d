//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// These tests use the cluster with kwok (see wait_test.go): a Job's pod
// completes as soon as it is scheduled.

const dependsOnKey = "config.kubernetes.io/depends-on"

// annotate adds an annotation to a document whose metadata is a block
// mapping.
func annotate(doc, key, value string) string {
	return strings.Replace(doc, "metadata:\n", fmt.Sprintf("metadata:\n  annotations:\n    %s: %q\n", key, value), 1)
}

// timeAt reads a timestamp field of an object, failing the test when it is
// missing.
func timeAt(t *testing.T, obj *unstructured.Unstructured, fields ...string) time.Time {
	t.Helper()
	s, _, _ := unstructured.NestedString(obj.Object, fields...)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s %s: %s is %q: %v", obj.GetKind(), obj.GetName(), strings.Join(fields, "."), s, err)
	}
	return at
}

// conditionTime is when the first True condition of one of types last
// changed.
func conditionTime(t *testing.T, obj *unstructured.Unstructured, types ...string) time.Time {
	t.Helper()
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if slices.Contains(types, fmt.Sprint(cm["type"])) && cm["status"] == "True" {
			at, err := time.Parse(time.RFC3339, fmt.Sprint(cm["lastTransitionTime"]))
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
	}
	t.Fatalf("%s %s has no condition %v True: %v", obj.GetKind(), obj.GetName(), types, conds)
	return time.Time{}
}

// assertAbsent fails the test when the named objects exist.
func assertAbsent(t *testing.T, kc, ns string, names ...string) {
	t.Helper()
	for _, name := range names {
		_, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("configmap %s/%s: want it not written, got err %v", ns, name, err)
		}
	}
}

func TestDependsOnWaitsUntilTheJobCompleted(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "dep-job"
	testcluster.CreateNamespace(t, kc, ns)
	in := bundle(waitJob("migrate", "", ""),
		annotate(waitDeployment("web", 1, "", ""), dependsOnKey, "batch/namespaces/"+ns+"/Job/migrate"),
		waitService("web", "ClusterIP"))

	t.Run("a dry run shows the order", func(t *testing.T) {
		code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--dry-run=client")
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		want := "job.batch/migrate -n dep-job created (dry run)\ndeployment.apps/web -n dep-job created (dry run) (after job.batch/migrate -n dep-job)\n"
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not hold %q:\n%s", want, stdout)
		}
		if want := "deployment.apps/web -n dep-job: waiting for dependency job.batch/migrate -n dep-job\n"; !strings.Contains(stderr, want) {
			t.Errorf("stderr does not hold %q:\n%s", want, stderr)
		}
	})

	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "-o", "json", "--timeout", "2m")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	job := getObject(t, kc, waitJobsGVR, ns, "migrate")
	deploy := getObject(t, kc, testcluster.DeploymentsGVR, ns, "web")
	completed, created := timeAt(t, job, "status", "completionTime"), deploy.GetCreationTimestamp().Time
	if created.Before(completed) {
		t.Errorf("the Deployment was created at %s, before the Job completed at %s", created, completed)
	}
	var web struct {
		DependsOn []map[string]string `json:"dependsOn"`
		Waited    *float64            `json:"waitedSeconds"`
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, `"kind":"Deployment"`) {
			if err := json.Unmarshal([]byte(line), &web); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(web.DependsOn) != 1 || web.DependsOn[0]["kind"] != "Job" || web.DependsOn[0]["name"] != "migrate" || web.Waited == nil {
		t.Errorf("the Deployment's JSON result lacks dependsOn [Job migrate] or waitedSeconds:\n%s", stdout)
	}
}

// The Job's pod never schedules and its activeDeadlineSeconds runs out:
// the Job fails 3 s after it starts. The Service and the Ingress, which
// depend on nothing, are written at once, not after the Job's failure;
// the Deployment that depends on it is skipped.
func TestDependsOnAFailedJobSkipsItsDependents(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "dep-fail"
	testcluster.CreateNamespace(t, kc, ns)
	in := bundle(waitJob("doomed", "no-such-node-label", "  activeDeadlineSeconds: 3\n  backoffLimit: 0\n"),
		annotate(waitDeployment("web", 1, "", ""), dependsOnKey, "batch/namespaces/"+ns+"/Job/doomed"),
		waitService("web", "ClusterIP"), waitIngress("web"))
	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--timeout", "2m")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	want := "deployment.apps/web -n dep-fail skipped: -#2: dependency job.batch/doomed -n dep-fail failed: DeadlineExceeded: Job was active longer than specified deadline\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout does not hold %q:\n%s", want, stdout)
	}
	if _, err := testcluster.Dynamic(t, kc).Resource(testcluster.DeploymentsGVR).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the skipped Deployment was written (err %v)", err)
	}
	failedAt := conditionTime(t, getObject(t, kc, waitJobsGVR, ns, "doomed"), "FailureTarget", "Failed")
	ingress := getObject(t, kc, testcluster.IngressesGVR, ns, "web").GetCreationTimestamp().Time
	if !ingress.Before(failedAt) {
		t.Errorf("the Ingress, independent of the Job, was created at %s, not before the Job failed at %s", ingress, failedAt)
	}
}

func TestDependsOnPlanErrorsWriteNothing(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "dep-plan"
	testcluster.CreateNamespace(t, kc, ns)
	ref := func(name string) string { return "/namespaces/" + ns + "/ConfigMap/" + name }
	for _, tc := range []struct {
		name, in, want string
	}{
		{
			name: "a cycle",
			in: bundle(configMap("free", "", nil),
				annotate(configMap("a", "", nil), dependsOnKey, ref("b")),
				annotate(configMap("b", "", nil), dependsOnKey, ref("c")+", "+ref("free")),
				annotate(configMap("c", "", nil), dependsOnKey, ref("a"))),
			want: "-#2:7: configmap/a: depends-on cycle: configmap/a -n dep-plan (-#2) -> configmap/b -n dep-plan (-#3) -> configmap/c -n dep-plan (-#4) -> configmap/a -n dep-plan",
		},
		{
			name: "a dangling reference",
			in:   bundle(configMap("free", "", nil), annotate(configMap("a", "", nil), dependsOnKey, ref("missing"))),
			want: "-#2:7: configmap/a: depends on configmap/missing -n dep-plan, which is not in the input and not on the cluster",
		},
		{
			name: "a malformed reference",
			in:   bundle(configMap("free", "", nil), annotate(configMap("a", "", nil), dependsOnKey, "ConfigMap/missing")),
			want: `-#2:7: configmap/a: config.kubernetes.io/depends-on: "ConfigMap/missing" is not GROUP/namespaces/NAMESPACE/KIND/NAME or GROUP/KIND/NAME`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range []string{"apply", "diff"} {
				code, stdout, stderr := kapplyIn(t, kc, tc.in, cmd, "-f", "-", "-n", ns)
				if code != exitUsage {
					t.Fatalf("%s: exit %d, want %d\n%s%s", cmd, code, exitUsage, stdout, stderr)
				}
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: stderr does not hold %q:\n%s", cmd, tc.want, stderr)
				}
			}
			assertAbsent(t, kc, ns, "free", "a", "b", "c")
		})
	}
}

// cli-utils writes a cluster-scoped reference GROUP/KIND/NAME: here a
// ClusterRole of the bundle and a Namespace only on the cluster.
func TestDependsOnClusterScopedObjects(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "dep-cluster"
	testcluster.CreateNamespace(t, kc, ns)
	role := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: dep-cluster-reader\nrules: []\n"
	in := bundle(role, annotate(configMap("settings", "", map[string]string{"k": "v"}), dependsOnKey,
		"rbac.authorization.k8s.io/ClusterRole/dep-cluster-reader,/Namespace/"+ns))
	t.Cleanup(func() { _, _ = kubectlIn(t, kc, "", "delete", "clusterrole", "dep-cluster-reader") })
	stdout := mustKapply(t, kc, in, "apply", "-f", "-", "-n", ns)
	want := "configmap/settings -n dep-cluster created (after clusterrole.rbac.authorization.k8s.io/dep-cluster-reader, namespace/dep-cluster)\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout does not hold %q:\n%s", want, stdout)
	}
	getObject(t, kc, testcluster.ConfigMapsGVR, ns, "settings")
}
