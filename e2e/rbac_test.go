//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// restrictedNS is the one namespace where the devcluster's
// devcluster-restricted context has rights (all of them, by a Role).
const restrictedNS = "restricted"

var clusterRolesGVR = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}

// TestForbiddenObjectsFailClearlyAndTheRestProceeds applies, as a user with
// rights in one namespace only, a bundle with an object there, one in
// another namespace and a cluster-scoped one: every command names each
// refused object, its source and the verbs it needs, in the server's words,
// and does its work on the allowed object.
func TestForbiddenObjectsFailClearlyAndTheRestProceeds(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "rbac-denied"
	testcluster.CreateNamespace(t, kc, ns)
	dyn := testcluster.Dynamic(t, kc)
	t.Cleanup(func() {
		_ = dyn.Resource(testcluster.ConfigMapsGVR).Namespace(restrictedNS).Delete(context.Background(), "rbac-allowed", metav1.DeleteOptions{})
	})
	path := filepath.Join(t.TempDir(), "bundle.yaml")
	in := bundle(
		configMap("rbac-allowed", restrictedNS, map[string]string{"k": "v"}),
		configMap("rbac-denied", ns, map[string]string{"k": "v"}),
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: kapply-rbac-denied\nrules: []\n",
	)
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	denied := func(verb, step, verbs string) (cm, cr string) {
		cm = fmt.Sprintf(`configmaps "rbac-denied" is forbidden: User "restricted" cannot %s resource "configmaps" in API group "" in the namespace "%s"`, verb, ns)
		cr = fmt.Sprintf(`clusterroles.rbac.authorization.k8s.io "kapply-rbac-denied" is forbidden: User "restricted" cannot %s resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope`, verb)
		if step != "" {
			cm += fmt.Sprintf(` (%s needs %s on resource "configmaps" in API group "" in the namespace "%s")`, step, verbs, ns)
			cr += fmt.Sprintf(` (%s needs %s on resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope)`, step, verbs)
		}
		return cm, cr
	}
	applyLines := func(allowed, prefix, verb, step, verbs, dry, summary string) string {
		cm, cr := denied(verb, step, verbs)
		return fmt.Sprintf("configmap/rbac-allowed -n restricted %s%s\n", allowed, dry) +
			fmt.Sprintf("configmap/rbac-denied -n %s failed%s: %s#2: %s%s\n", ns, dry, path, prefix, cm) +
			fmt.Sprintf("clusterrole.rbac.authorization.k8s.io/kapply-rbac-denied failed%s: %s#3: %s%s\n", dry, path, prefix, cr) +
			summary + "\n"
	}
	cmStatus, crStatus := denied("list", "", "")
	cmDiff, crDiff := denied("patch", "diff", "get, patch")
	cmDelete, crDelete := denied("delete", "", "")
	steps := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{
			name: "apply", args: []string{"apply"}, code: exitFailed,
			stdout: applyLines("created", "read live object: ", "get", "server-side apply", "get, patch", "", "3 objects: 1 created, 0 configured, 0 unchanged, 2 failed"),
			stderr: "error: 2 of 3 objects not applied\n",
		},
		{
			name: "create", args: []string{"create"}, code: exitFailed,
			stdout: fmt.Sprintf("configmap/rbac-allowed -n restricted failed: %s#1: configmaps \"rbac-allowed\" already exists\n", path) +
				fmt.Sprintf(`configmap/rbac-denied -n %s failed: %s#2: configmaps is forbidden: User "restricted" cannot create resource "configmaps" in API group "" in the namespace "%s" `+
					`(create needs create on resource "configmaps" in API group "" in the namespace "%s")`+"\n", ns, path, ns, ns) +
				fmt.Sprintf(`clusterrole.rbac.authorization.k8s.io/kapply-rbac-denied failed: %s#3: clusterroles.rbac.authorization.k8s.io is forbidden: User "restricted" cannot create resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope `+
					`(create needs create on resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope)`+"\n", path),
			stderr: "error: 3 of 3 objects not applied\n",
		},
		{
			name: "apply --dry-run=server", args: []string{"apply", "--dry-run=server"}, code: exitFailed,
			stdout: applyLines("unchanged", "read live object: ", "get", "server-side apply", "get, patch", " (dry run)", "3 objects (dry run): 0 created, 0 configured, 1 unchanged, 2 failed"),
			stderr: "error: 2 of 3 objects not applied\n",
		},
		{
			name: "apply --dry-run=client", args: []string{"apply", "--dry-run=client"}, code: exitFailed,
			stdout: applyLines("configured", "read live object: ", "get", "a client-side dry run", "get", " (dry run)", "3 objects (dry run): 0 created, 1 configured, 0 unchanged, 2 failed"),
			stderr: "error: 2 of 3 objects not applied\n",
		},
		{
			// Client-side apply over an object server-side apply made adds
			// its last-applied annotation, as kubectl apply does.
			name: "apply --mode=update", args: []string{"apply", "--mode=update"}, code: exitFailed,
			stdout: applyLines("configured", "read live object: ", "get", "update", "get, create, patch", "", "3 objects: 0 created, 1 configured, 0 unchanged, 2 failed"),
			stderr: "error: 2 of 3 objects not applied\n",
		},
		{
			name: "diff", args: []string{"diff"}, code: exitNotDiffable,
			stderr: fmt.Sprintf("error: configmap/rbac-denied -n %s (%s#2): %s\n", ns, path, cmDiff) +
				fmt.Sprintf("error: clusterrole.rbac.authorization.k8s.io/kapply-rbac-denied (%s#3): %s\n", path, crDiff) +
				"error: 2 of 3 objects could not be diffed\n",
		},
		{
			name: "status", args: []string{"status"}, code: exitFailed,
			stdout: "configmap/rbac-denied -n rbac-denied                      unknown  -     cannot read: " + cmStatus + "\n" +
				"clusterrole.rbac.authorization.k8s.io/kapply-rbac-denied  unknown  -     cannot read: " + crStatus + "\n",
			stderr: "error: 2 of 3 objects not ready\n",
		},
		{
			name: "delete", args: []string{"delete"}, code: exitFailed,
			stdout: "configmap/rbac-allowed -n restricted deleted\n" +
				fmt.Sprintf("configmap/rbac-denied -n %s failed: %s#2: %s\n", ns, path, cmDelete) +
				fmt.Sprintf("clusterrole.rbac.authorization.k8s.io/kapply-rbac-denied failed: %s#3: %s\n", path, crDelete),
			stderr: "error: 2 of 3 objects not deleted\n",
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			args := append(append([]string{}, st.args...), "-f", path, "--context", "devcluster-restricted")
			code, stdout, stderr := kapplyIn(t, kc, "", args...)
			if code != st.code {
				t.Errorf("exit %d, want %d", code, st.code)
			}
			if !strings.Contains(stdout, st.stdout) {
				t.Errorf("stdout\n%s\ndoes not hold\n%s", stdout, st.stdout)
			}
			if !strings.Contains(stderr, st.stderr) {
				t.Errorf("stderr\n%s\ndoes not hold\n%s", stderr, st.stderr)
			}
			if st.name != "apply" {
				return
			}
			ctx := context.Background()
			if _, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(restrictedNS).Get(ctx, "rbac-allowed", metav1.GetOptions{}); err != nil {
				t.Errorf("the allowed object was not applied: %v", err)
			}
			if _, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(ctx, "rbac-denied", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("the denied ConfigMap: got %v, want not found", err)
			}
			if _, err := dyn.Resource(clusterRolesGVR).Get(ctx, "kapply-rbac-denied", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("the denied ClusterRole: got %v, want not found", err)
			}
		})
	}
}

// TestForbiddenWriteIsNamedAfterAnAllowedRead gives the restricted user
// read-only rights in a namespace of its own, so that the read passes and
// the write is refused: the error is then the write's, with the verbs.
func TestForbiddenWriteIsNamedAfterAnAllowedRead(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "rbac-read-only"
	testcluster.CreateNamespace(t, kc, ns)
	grant := bundle(
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: read\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get, list, watch]\n",
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: read\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: read\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: restricted\n",
	)
	if code, _, stderr := kapplyIn(t, kc, grant, "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatalf("grant: exit %d: %s", code, stderr)
	}
	code, stdout, _ := kapplyIn(t, kc, configMap("written", ns, map[string]string{"k": "v"}), "apply", "-f", "-", "--context", "devcluster-restricted", "-o", "json")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	rs, _ := parseJSONResults(t, stdout)
	want := fmt.Sprintf(`configmaps "written" is forbidden: User "restricted" cannot patch resource "configmaps" in API group "" in the namespace "%s" `+
		`(server-side apply needs get, patch on resource "configmaps" in API group "" in the namespace "%s")`, ns, ns)
	if len(rs) != 1 || rs[0].Error != want || rs[0].Action != "failed" {
		t.Errorf("results %+v\nwant one failed with error %s", rs, want)
	}
}
