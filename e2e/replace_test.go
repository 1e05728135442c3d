//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// release is the release pattern of README's "Release ordering": a
// migration Job that is replaced when its image changes, and a Deployment
// that depends on it; each release changes both images.
func release(ns, version string, replace bool) string {
	job := waitJob("migrate", "", "")
	job = strings.Replace(job, "registry.example/task:1", "registry.example/migrate:"+version, 1)
	if replace {
		job = annotate(job, "kapply.dev/replace", "on-immutable")
	}
	deploy := strings.Replace(waitDeployment("web", 1, "", ""), "registry.example/app:1", "registry.example/app:"+version, 1)
	return bundle(job, annotate(deploy, dependsOnKey, "batch/namespaces/"+ns+"/Job/migrate"))
}

// applyTime is when field manager kapply last applied obj.
func applyTime(t *testing.T, obj *unstructured.Unstructured) time.Time {
	t.Helper()
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == "kapply" && mf.Operation == metav1.ManagedFieldsOperationApply && mf.Time != nil {
			return mf.Time.Time
		}
	}
	t.Fatalf("%s %s has no Apply entry of kapply: %v", obj.GetKind(), obj.GetName(), obj.GetManagedFields())
	return time.Time{}
}

func TestReplaceTheMigrationJobOfEachRelease(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "rel-job"
	testcluster.CreateNamespace(t, kc, ns)
	mustKapply(t, kc, release(ns, "1", true), "apply", "-f", "-", "-n", ns)
	uid := getObject(t, kc, waitJobsGVR, ns, "migrate").GetUID()

	for _, version := range []string{"2", "3"} {
		t.Run("release "+version, func(t *testing.T) {
			in := release(ns, version, true)
			code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns)
			want := "# job.batch/migrate -n rel-job (-#1): would be replaced: spec.template is immutable\n"
			if code != exitDiffers || !strings.Contains(stdout, want) {
				t.Errorf("diff: exit %d, want %d and %q\n%s%s", code, exitDiffers, want, stdout, stderr)
			}

			stdout = mustKapply(t, kc, in, "apply", "-f", "-", "-n", ns, "--timeout", "2m")
			want = fmt.Sprintf("job.batch/migrate -n %[1]s replaced\ndeployment.apps/web -n %[1]s configured (after job.batch/migrate -n %[1]s)\n", ns)
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout does not hold %q:\n%s", want, stdout)
			}
			job := getObject(t, kc, waitJobsGVR, ns, "migrate")
			if job.GetUID() == uid {
				t.Errorf("the Job has the UID it had before the release: it was not re-created")
			}
			uid = job.GetUID()
			containers, _, _ := unstructured.NestedSlice(job.Object, "spec", "template", "spec", "containers")
			if got := fmt.Sprint(containers[0].(map[string]any)["image"]); got != "registry.example/migrate:"+version {
				t.Errorf("the Job's image is %s, want registry.example/migrate:%s", got, version)
			}
			completed := timeAt(t, job, "status", "completionTime")
			if configured := applyTime(t, getObject(t, kc, testcluster.DeploymentsGVR, ns, "web")); configured.Before(completed) {
				t.Errorf("the Deployment was configured at %s, before the new Job completed at %s", configured, completed)
			}
		})
	}

	t.Run("without the annotation", func(t *testing.T) {
		code, stdout, stderr := kapplyIn(t, kc, release(ns, "4", false), "apply", "-f", "-", "-n", ns)
		want := "job.batch/migrate -n rel-job failed: -#1: the server refused the change: spec.template.spec.containers[name=task].image \"registry.example/migrate:3\" -> \"registry.example/migrate:4\" (server: spec.template: Invalid value: …: field is immutable) (annotate it kapply.dev/replace: on-immutable, or apply with --force-replace, to have it deleted and re-created)\n"
		if code != exitFailed || !strings.Contains(stdout, want) {
			t.Fatalf("exit %d, want %d and %q\n%s%s", code, exitFailed, want, stdout, stderr)
		}
		if getObject(t, kc, waitJobsGVR, ns, "migrate").GetUID() != uid {
			t.Errorf("the Job was re-created without the annotation")
		}
		code, stdout, stderr = kapplyIn(t, kc, release(ns, "4", false), "apply", "-f", "-", "-n", ns, "--force-replace")
		if code != exitOK || !strings.Contains(stdout, "job.batch/migrate -n rel-job replaced\n") {
			t.Errorf("--force-replace: exit %d, want %d and the Job replaced\n%s%s", code, exitOK, stdout, stderr)
		}
	})
}

func TestReplaceAnnotationValueIsChecked(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "rel-bad"
	testcluster.CreateNamespace(t, kc, ns)
	in := annotate(configMap("settings", "", nil), "kapply.dev/replace", "always")
	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns)
	want := `-#1:1: configmap/settings: kapply.dev/replace: "always" is not a value kapply knows: use "on-immutable"`
	if code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want %d and %q\n%s%s", code, exitUsage, want, stdout, stderr)
	}
	assertAbsent(t, kc, ns, "settings")
}
