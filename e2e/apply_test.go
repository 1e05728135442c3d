//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

func configMap(name, ns string, data map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name)
	if ns != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", ns)
	}
	b.WriteString("data:\n")
	for k, v := range data {
		fmt.Fprintf(&b, "  %s: %q\n", k, v)
	}
	return b.String()
}

func configMapExists(t *testing.T, kc, ns, name string) bool {
	t.Helper()
	_, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	return err == nil
}

var durationRE = regexp.MustCompile(`"durationSeconds":[0-9.e-]+`)

func TestApplyOutputGolden(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			ns := "golden-" + format
			testcluster.Fresh(t, kc, testcluster.NamespacesGVR, ns)
			in := bundle(
				"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n",
				configMap("settings", ns, map[string]string{"mode": "demo"}),
				"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: "+ns+"\nspec:\n  ports:\n  - port: 80\n",
			)
			var runs []string
			for i := 0; i < 2; i++ {
				code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-o", format)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				runs = append(runs, durationRE.ReplaceAllString(stdout, `"durationSeconds":0`))
			}
			goldenOutput(t, "apply-"+format+".golden", "# first apply\n"+runs[0]+"# second apply\n"+runs[1])
		})
	}
}

func TestCreateExistingObjectFailsAndTheOthersProceed(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "create-existing"
	testcluster.CreateNamespace(t, kc, ns)
	in := bundle(configMap("a", "", map[string]string{"k": "v"}), configMap("b", "", map[string]string{"k": "v"}))
	if code, _, stderr := kapplyIn(t, kc, configMap("a", "", map[string]string{"k": "old"}), "create", "-f", "-", "-n", ns); code != exitOK {
		t.Fatalf("pre-create: exit %d: %s", code, stderr)
	}
	code, stdout, _ := kapplyIn(t, kc, in, "create", "-f", "-", "-n", ns)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stdout)
	}
	for _, want := range []string{
		`configmap/a -n create-existing failed: -#1: configmaps "a" already exists`,
		"configmap/b -n create-existing created",
		"2 objects: 1 created, 0 configured, 0 unchanged, 1 failed",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, stdout)
		}
	}
	if !configMapExists(t, kc, ns, "b") {
		t.Error("configmap b was not created")
	}
}

func TestInvalidPlansWriteNothing(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "plan-errors"
	testcluster.CreateNamespace(t, kc, ns)
	tests := []struct {
		name    string
		in      string
		args    []string
		wantErr string
	}{
		{
			name:    "unknown kind",
			in:      bundle(configMap("unknown-kind", "", nil), "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"),
			wantErr: `-#2:7: widget.example.com/w: unknown kind "Widget" in version "example.com/v1": the server has no such API and no CRD in the input defines it`,
		},
		{
			name:    "namespace differs from -n",
			in:      bundle(configMap("ns-mismatch", "", nil), configMap("elsewhere", "other", nil)),
			wantErr: `-#2:7: configmap/elsewhere: namespace mismatch: configmap/elsewhere names namespace "other" but -n is "plan-errors"`,
		},
		{
			name:    "cluster-scoped object with a namespace",
			in:      bundle(configMap("cluster-scoped", "", nil), "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: plan-errors\n"),
			wantErr: `-#2:7: clusterrole.rbac.authorization.k8s.io/r: cluster-scoped object with a namespace: clusterrole.rbac.authorization.k8s.io/r is cluster-scoped but names namespace "plan-errors": remove metadata.namespace`,
		},
		{
			// Issue 12, D: both would be written in parallel, the last PATCH winning.
			name:    "the same object once the namespace is defaulted",
			in:      bundle(configMap("twice", "", map[string]string{"k": "a"}), configMap("twice", "plan-errors", map[string]string{"k": "b"})),
			wantErr: `-#2:8: configmap/twice: duplicate object in namespace "plan-errors" once the namespace is defaulted: also defined at -#1:1 (no namespace there, namespace "plan-errors" here)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := kapplyIn(t, kc, tc.in, "apply", "-f", "-", "-n", ns)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout:%s\nstderr:%s", code, exitUsage, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantErr, stderr)
			}
			if !strings.Contains(stderr, "nothing was written") {
				t.Errorf("stderr does not say nothing was written:\n%s", stderr)
			}
			list, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, cm := range list.Items {
				if cm.GetName() != "kube-root-ca.crt" {
					t.Errorf("configmap %s was written by a run that was refused", cm.GetName())
				}
			}
		})
	}
}

func TestDryRunLeavesTheClusterUntouched(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "dry-run"
	testcluster.CreateNamespace(t, kc, ns)
	if code, _, stderr := kapplyIn(t, kc, configMap("existing", "", map[string]string{"k": "v1"}), "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatal(stderr)
	}
	in := bundle(configMap("existing", "", map[string]string{"k": "v2"}), configMap("new", "", map[string]string{"k": "v"}))
	for _, mode := range []string{"server", "client"} {
		t.Run(mode, func(t *testing.T) {
			code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--dry-run", mode)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, want := range []string{"configmap/existing -n dry-run configured (dry run)", "configmap/new -n dry-run created (dry run)"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout)
				}
			}
			if configMapExists(t, kc, ns, "new") {
				t.Error("a dry run created configmap new")
			}
			cm, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), "existing", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if v := cm.Object["data"].(map[string]any)["k"]; v != "v1" {
				t.Errorf("a dry run changed configmap existing: k=%v", v)
			}
		})
	}
}

func TestConflictWithAnotherFieldManager(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "conflicts"
	testcluster.CreateNamespace(t, kc, ns)
	if code, _, stderr := kapplyIn(t, kc, configMap("shared", "", map[string]string{"owner": "other"}), "apply", "-f", "-", "-n", ns, "--field-manager", "other-tool"); code != exitOK {
		t.Fatal(stderr)
	}
	in := configMap("shared", "", map[string]string{"owner": "kapply"})
	code, stdout, _ := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d:\n%s", code, exitFailed, stdout)
	}
	for _, want := range []string{`conflict with "other-tool"`, `field manager "other-tool" owns .data.owner: apply with --force-conflicts`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("conflict report does not contain %q:\n%s", want, stdout)
		}
	}
	if owner := configMapData(t, kc, ns, "shared")["owner"]; owner != "other" {
		t.Errorf("a refused apply changed the data: owner=%q", owner)
	}
	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns, "--force-conflicts")
	if code != exitOK || !strings.Contains(stdout, "configmap/shared -n conflicts configured") {
		t.Fatalf("--force-conflicts: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The cluster holds kapply's value, and the field is kapply's now.
	if owner := configMapData(t, kc, ns, "shared")["owner"]; owner != "kapply" {
		t.Errorf("after --force-conflicts the data says owner=%q", owner)
	}
	if diff := cmp.Diff([]string{"kapply"}, fieldOwners(t, kc, ns, "shared", `"f:owner"`)); diff != "" {
		t.Errorf("managers of .data.owner (-want +got):\n%s", diff)
	}
}

// configMapData reads a ConfigMap's data from the cluster.
func configMapData(t *testing.T, kc, ns, name string) map[string]string {
	t.Helper()
	cm, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	return data
}

// fieldOwners lists the field managers of a ConfigMap whose managed
// fields hold field (as managedFields spell it, e.g. "f:owner").
func fieldOwners(t *testing.T, kc, ns, name, field string) []string {
	t.Helper()
	cm, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var owners []string
	for _, mf := range cm.GetManagedFields() {
		if mf.FieldsV1 != nil && strings.Contains(mf.FieldsV1.GetRawString(), field) {
			owners = append(owners, mf.Manager)
		}
	}
	return owners
}

func TestUpdateModeCreatesThenReplaces(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "update-mode"
	testcluster.CreateNamespace(t, kc, ns)
	steps := []struct {
		data map[string]string
		want string
	}{
		{map[string]string{"k": "v1"}, "configmap/cm -n update-mode created"},
		{map[string]string{"k": "v1"}, "configmap/cm -n update-mode unchanged"},
		{map[string]string{"k": "v2"}, "configmap/cm -n update-mode configured"},
	}
	for _, s := range steps {
		code, stdout, stderr := kapplyIn(t, kc, configMap("cm", "", s.data), "apply", "--mode", "update", "-f", "-", "-n", ns)
		if code != exitOK || !strings.Contains(stdout, s.want) {
			t.Fatalf("exit %d, want %q\n%s\n%s", code, s.want, stdout, stderr)
		}
		if got := configMapData(t, kc, ns, "cm")["k"]; got != s.data["k"] {
			t.Errorf("after %q the cluster holds k=%q, want %q", s.want, got, s.data["k"])
		}
	}

	// A real concurrent writer: another client updates the ConfigMap
	// between kapply's read and its write; kapply still stores v3.
	dyn := testcluster.Dynamic(t, kc)
	writer := func() {
		cm, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), "cm", metav1.GetOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		cm.SetLabels(map[string]string{"written-by": "another-client"})
		if _, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(ns).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
			t.Errorf("the concurrent write: %v", err)
		}
	}
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Intercept, Methods: []string{"PUT", "PATCH"}, Path: regexp.MustCompile(`/configmaps/cm$`), Nth: []int{1}, Before: writer},
	}})
	code, stdout, stderr := kapplyIn(t, pkc, configMap("cm", "", map[string]string{"k": "v3"}), "apply", "--mode", "update", "-f", "-", "-n", ns)
	if code != exitOK || !strings.Contains(stdout, "configmap/cm -n update-mode configured") {
		t.Fatalf("with a concurrent writer: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var writes []int
	for _, l := range proxy.Requests() {
		if l.Method == "PUT" || l.Method == "PATCH" {
			writes = append(writes, l.UpstreamStatus)
		}
	}
	// Whether the API server refuses the stale write (409, then a fresh
	// read) depends on how update mode writes; either way the write that
	// ends it stored v3 over the other client's.
	if len(writes) == 0 || writes[len(writes)-1] != 200 {
		t.Errorf("the API server's answers to kapply's writes: %v, want the last one 200", writes)
	}
	if got := configMapData(t, kc, ns, "cm")["k"]; got != "v3" {
		t.Errorf("after the conflict the cluster holds k=%q, want v3", got)
	}
}

func TestObjectsOfAFailedNamespaceAreSkipped(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "skip-dependents"
	testcluster.CreateNamespace(t, kc, ns)
	// Namespace names must be DNS labels: the server refuses this one, so
	// the ConfigMap inside it cannot be applied, while the ConfigMap in a
	// namespace that exists goes on.
	in := bundle(
		"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Not_A_Label\n",
		configMap("inside", "Not_A_Label", map[string]string{"k": "v"}),
		configMap("outside", ns, map[string]string{"k": "v"}),
	)
	code, stdout, _ := kapplyIn(t, kc, in, "apply", "-f", "-")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stdout)
	}
	for _, want := range []string{
		"namespace/Not_A_Label failed: -#1: ",
		"configmap/inside -n Not_A_Label skipped: -#2: namespace/Not_A_Label (-#1) was not applied",
		"configmap/outside -n skip-dependents created",
		"3 objects: 1 created, 0 configured, 0 unchanged, 1 failed, 1 skipped",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, stdout)
		}
	}
}

// Controllers write a Deployment's status while it rolls out; a re-apply
// that changes nothing must still say unchanged, even when a status write
// lands between kapply's read and its apply. A real change is configured.
func TestReapplyDuringRolloutIsUnchanged(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "reapply-rollout"
	testcluster.CreateNamespace(t, kc, ns)
	var docs []string
	for i := range 30 {
		docs = append(docs, fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d%d\nspec:\n  replicas: 1\n"+
			"  selector: {matchLabels: {app: d%d}}\n  template:\n    metadata: {labels: {app: d%d}}\n"+
			"    spec: {containers: [{name: web, image: nginx:1.27}]}\n", i, i, i))
	}
	in := bundle(docs...)
	if code, _, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatal(stderr)
	}
	// What the cluster holds besides the controllers' status writes.
	waitDeploymentsSettled(t, kc, ns)
	before := objectState(t, kc, ns, testcluster.DeploymentsGVR)
	// Re-apply while the rollouts are in progress. One replica each: the
	// shared cluster's kwok node takes 110 pods, and other tests need some.
	for run := range 5 {
		code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns)
		if code != exitOK || !strings.Contains(stdout, "30 objects: 0 created, 0 configured, 30 unchanged") {
			t.Fatalf("re-apply %d: exit %d\n%s\n%s", run, code, stdout, stderr)
		}
	}
	// Nothing but status moved: no Deployment was rewritten.
	if diff := cmp.Diff(before, objectState(t, kc, ns, testcluster.DeploymentsGVR)); diff != "" {
		t.Errorf("re-applies reported unchanged changed Deployments (-before +after):\n%s", diff)
	}
	changed := strings.Replace(in, "replicas: 1", "replicas: 2", 1)
	code, stdout, _ := kapplyIn(t, kc, changed, "apply", "-f", "-", "-n", ns)
	if code != exitOK || !strings.Contains(stdout, "deployment.apps/d0 -n reapply-rollout configured") || !strings.Contains(stdout, "1 configured, 29 unchanged") {
		t.Errorf("a replica change: exit %d\n%s", code, stdout)
	}
	// Only d0 changed on the cluster, and it has two replicas.
	after := objectState(t, kc, ns, testcluster.DeploymentsGVR)
	for key, obj := range after {
		replicas, _, _ := unstructured.NestedInt64(obj, "spec", "replicas")
		gen, _, _ := unstructured.NestedInt64(obj, "metadata", "generation")
		want := int64(1)
		if key == "deployments/d0" {
			want = 2
		}
		if replicas != want || gen != want {
			t.Errorf("%s: replicas %d, generation %d; want %d and %d", key, replicas, gen, want, want)
		}
	}
}
