//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

var (
	secretsGVR = testcluster.SecretsGVR
	crdsGVR    = testcluster.CRDsGVR
)

// eventually polls cond every 250ms until it is true, for at most bound;
// it fails the test with what when it never is.
func eventually(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, bound)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func parentAnnotation(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name, key string) string {
	t.Helper()
	parent, err := dyn.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return parent.GetAnnotations()[key]
}

// An APIService whose backend is missing (metrics-server down) makes
// discovery incomplete; a prune that needs none of its kinds goes on, one
// whose set records a kind of it is refused, naming it (issue 13 A). The
// aggregator is part of kube-apiserver, so a minimal cluster does.
func TestPruneIsNotBlockedByAnUnrelatedUnavailableAPI(t *testing.T) {
	kc := testcluster.New(t)
	ns := "prune-apiservice"
	testcluster.CreateNamespace(t, kc, ns)
	dyn := testcluster.Dynamic(t, kc)
	apiServices := schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.metrics.k8s.io"},
		"spec": map[string]any{
			"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
			"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
			"service": map[string]any{"namespace": "kube-system", "name": "metrics-server"},
		},
	}}
	if _, err := dyn.Resource(apiServices).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the APIService reported unavailable", func() bool {
		got, err := dyn.Resource(apiServices).Get(context.Background(), "v1beta1.metrics.k8s.io", metav1.GetOptions{})
		return err == nil && strings.Contains(fmt.Sprint(got.Object["status"]), "False")
	})

	// Without a disk cache: client-go's disk cache hides a stale group
	// (see pruneDiscovery), which discovery in memory reports.
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "s1", "--prune"}
	if code, stdout, stderr := kapplyProc(t, kc, "", pruneV1, args...); code != exitOK {
		t.Fatalf("v1: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := kapplyProc(t, kc, "", pruneV2, args...)
	if code != exitOK || !strings.Contains(stdout, "configmap/c2 -n prune-apiservice pruned") || !strings.Contains(stdout, "deployment.apps/b -n prune-apiservice pruned") {
		t.Fatalf("v2 with metrics.k8s.io unavailable: exit %d\n%s%s", code, stdout, stderr)
	}

	// A set that records a kind of the unavailable group cannot know its
	// members: refused, naming the group.
	patch := `{"metadata":{"annotations":{"applyset.kubernetes.io/contains-group-kinds":"ConfigMap,Deployment.apps,PodMetrics.metrics.k8s.io"}}}`
	if _, err := dyn.Resource(secretsGVR).Namespace(ns).Patch(context.Background(), "s1", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, cache := range []string{"", t.TempDir()} {
		code, stdout, stderr = kapplyProc(t, kc, cache, pruneV2, args...)
		if code != exitFailed || !strings.Contains(stderr, "nothing was pruned: discovery of the set's APIs is incomplete (metrics.k8s.io") {
			t.Errorf("a recorded kind of the unavailable group, cache %q: exit %d\n%s%s", cache, code, stdout, stderr)
		}
	}
}

// A kind the set records whose CRD was removed (the operator was
// uninstalled) has no members left: prune goes on, warns, and the kind
// leaves the parent's record, with a stale discovery cache too (issue 13 B).
func TestPruneGoesOnWhenARecordedCRDIsGone(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-crd-gone"
	testcluster.CreateNamespace(t, kc, ns)
	dyn := testcluster.Dynamic(t, kc)
	crd := crdOf("gone13.kapply.dev", "Gadget", "gadgets")
	// --wait: the next run resolves its kind.
	if code, _, stderr := kapplyIn(t, kc, crd, "apply", "-f", "-", "--wait", "--timeout", "1m"); code != exitOK {
		t.Fatal(stderr)
	}
	t.Cleanup(func() {
		_ = dyn.Resource(crdsGVR).Delete(context.Background(), "gadgets.gone13.kapply.dev", metav1.DeleteOptions{})
	})
	cache := t.TempDir()
	gadget := "apiVersion: gone13.kapply.dev/v1\nkind: Gadget\nmetadata:\n  name: g\n"
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "app", "--prune"}
	if code, stdout, stderr := kapplyProc(t, kc, cache, bundle(configMap("c1", "", map[string]string{"k": "v"}), gadget), args...); code != exitOK {
		t.Fatalf("v1: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := dyn.Resource(crdsGVR).Delete(context.Background(), "gadgets.gone13.kapply.dev", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the CRD was deleted", func() bool {
		_, err := dyn.Resource(crdsGVR).Get(context.Background(), "gadgets.gone13.kapply.dev", metav1.GetOptions{})
		return err != nil
	})

	warning := "warning: applyset secret/app -n prune-crd-gone records kind Gadget.gone13.kapply.dev, which the server no longer serves"
	code, stdout, stderr := kapplyIn(t, kc, configMap("c1", "", map[string]string{"k": "v"}), "diff", "-f", "-", "-n", ns, "--applyset", "app", "--prune")
	if code != exitOK || !strings.Contains(stderr, warning) {
		t.Errorf("diff --prune: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = kapplyProc(t, kc, cache, configMap("c1", "", map[string]string{"k": "v"}), args...)
	if code != exitOK || !strings.Contains(stderr, warning) {
		t.Fatalf("v2 with the CRD gone and a stale cache: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := parentAnnotation(t, dyn, secretsGVR, ns, "app", applyset.GKsAnnotation); got != "ConfigMap" {
		t.Errorf("the parent records %q, want ConfigMap alone", got)
	}
}

// Parents made by older kubectl record group-resources
// (contains-group-resources): their members are pruned. A parent that
// records neither is refused, never read as empty (issue 13 C).
func TestPruneReadsParentsOfOlderKubectl(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-legacy-parent"
	testcluster.CreateNamespace(t, kc, ns)
	dyn := testcluster.Dynamic(t, kc)
	makeSet := func(name string, annotations map[string]string) {
		t.Helper()
		id := applyset.ID(name, ns, "Secret", "")
		annotations[applyset.ToolingAnnotation] = "kubectl/v1.27.0"
		parent := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{
			"name": name, "namespace": ns, "labels": map[string]any{applyset.ParentIDLabel: id}, "annotations": toAny(annotations),
		}}}
		if _, err := dyn.Resource(secretsGVR).Namespace(ns).Create(context.Background(), parent, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		in := bundle(configMap(name+"-c", "", map[string]string{"k": "v"}), memberDeployment(name+"-d"))
		if code, _, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns); code != exitOK {
			t.Fatal(stderr)
		}
		for _, m := range []struct {
			gvr  schema.GroupVersionResource
			name string
		}{{testcluster.ConfigMapsGVR, name + "-c"}, {testcluster.DeploymentsGVR, name + "-d"}} {
			patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, applyset.PartOfLabel, id)
			if _, err := dyn.Resource(m.gvr).Namespace(ns).Patch(context.Background(), m.name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	makeSet("legacy", map[string]string{applyset.GRsAnnotation: "configmaps,deployments.apps"})
	code, stdout, stderr := kapplyIn(t, kc, configMap("legacy-c", "", map[string]string{"k": "v"}), "apply", "-f", "-", "-n", ns, "--applyset", "legacy", "--applyset-takeover", "--prune")
	if code != exitOK || !strings.Contains(stdout, "deployment.apps/legacy-d -n prune-legacy-parent pruned") {
		t.Fatalf("a parent with contains-group-resources: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := parentAnnotation(t, dyn, secretsGVR, ns, "legacy", applyset.GKsAnnotation); got != "ConfigMap" {
		t.Errorf("the parent records %q, want ConfigMap", got)
	}

	makeSet("bare", map[string]string{})
	code, stdout, stderr = kapplyIn(t, kc, configMap("bare-c", "", map[string]string{"k": "v"}), "apply", "-f", "-", "-n", ns, "--applyset", "bare", "--applyset-takeover", "--prune")
	if code != exitUsage || !strings.Contains(stderr, "records neither applyset.kubernetes.io/contains-group-kinds nor applyset.kubernetes.io/contains-group-resources") {
		t.Errorf("a parent with neither annotation: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := dyn.Resource(testcluster.DeploymentsGVR).Namespace(ns).Get(context.Background(), "bare-d", metav1.GetOptions{}); err != nil {
		t.Errorf("a member of the refused set is gone: %v", err)
	}
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// A cluster-scoped parent with namespaced members lists each member once:
// one line per pruned object, and --max-prune counts it once (issue 13 D).
func TestClusterScopedParentCountsEachMemberOnce(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "prune-cluster-parent"
	testcluster.CreateNamespace(t, kc, ns)
	dyn := testcluster.Dynamic(t, kc)
	clusterRoles := schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	t.Cleanup(func() {
		_ = dyn.Resource(clusterRoles).Delete(context.Background(), "prune-cluster-parent", metav1.DeleteOptions{})
	})
	v1 := bundle(configMap("c1", "", map[string]string{"k": "v"}), configMap("c2", "", map[string]string{"k": "v"}))
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "clusterroles.rbac.authorization.k8s.io/prune-cluster-parent", "--applyset-takeover", "--prune"}
	if code, stdout, stderr := kapplyIn(t, kc, v1, args...); code != exitOK {
		t.Fatalf("v1: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := kapplyIn(t, kc, configMap("c1", "", map[string]string{"k": "v"}), append(args, "--max-prune", "1")...)
	want := "configmap/c1 -n prune-cluster-parent unchanged\nconfigmap/c2 -n prune-cluster-parent pruned\n2 objects: 0 created, 0 configured, 1 unchanged, 1 pruned\n"
	if code != exitOK || stdout != want {
		t.Errorf("v2: exit %d, stdout %q, want %q\n%s", code, stdout, want, stderr)
	}
}
