//go:build e2e

package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

func namespaceDoc(name string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n"
}

// `apply -f app/ -n shop --applyset web --prune`, where app/ holds
// Namespace shop, works on its first run (issue 12, F): the Namespace is
// created first, then the parent is written, then the members; a dry run
// first stores nothing, and a later run prunes as usual.
func TestApplySetInANamespaceTheBundleCreates(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "applyset-new-ns"
	// The bundle creates it: delete what an earlier run left (issue 17, item 8).
	testcluster.Fresh(t, kc, testcluster.NamespacesGVR, ns)
	v1 := bundle(namespaceDoc(ns), configMap("c1", "", map[string]string{"k": "v"}), configMap("c2", "", map[string]string{"k": "v"}))
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "web", "--prune"}
	dyn := testcluster.Dynamic(t, kc)

	code, stdout, stderr := kapplyIn(t, kc, v1, append(args, "--dry-run=server")...)
	if code != exitOK {
		t.Fatalf("dry run: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"namespace/" + ns + " created (dry run)\n", "configmap/c1 -n " + ns + " created (dry run) (namespace not created yet"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run: stdout does not contain %q:\n%s", want, stdout)
		}
	}
	if _, err := dyn.Resource(testcluster.NamespacesGVR).Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace after a dry run: %v, want not found", err)
	}

	proxied, proxy := faultproxy.Start(t, kc, faultproxy.Config{})
	code, stdout, stderr = kapplyIn(t, proxied, v1, args...)
	if code != exitOK {
		t.Fatalf("first run: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if want := "3 objects: 3 created, 0 configured, 0 unchanged\n"; !strings.Contains(stdout, want) {
		t.Errorf("first run: stdout does not contain %q:\n%s", want, stdout)
	}
	var order []string
	for _, w := range proxy.Writes() {
		switch {
		case strings.HasSuffix(w.Path, "/namespaces/"+ns):
			order = append(order, "namespace")
		case strings.HasSuffix(w.Path, "/secrets/web"):
			order = append(order, "parent")
		case strings.Contains(w.Path, "/configmaps/"):
			order = append(order, "configmap")
		}
	}
	// The Namespace is written without the part-of label before the
	// parent (and settled: see needsSettling), then as a member; the
	// parent is trimmed after the prune.
	if d := cmp.Diff([]string{"namespace", "parent", "namespace", "configmap", "parent"}, compact(order)); d != "" {
		t.Errorf("order of writes (-want +got):\n%s\nall writes: %v", d, proxy.Writes())
	}
	parent, err := dyn.Resource(testcluster.SecretsGVR).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := parent.GetAnnotations()[applyset.GKsAnnotation]; got != "ConfigMap,Namespace" {
		t.Errorf("parent records group-kinds %q, want ConfigMap,Namespace", got)
	}
	id := parent.GetLabels()[applyset.ParentIDLabel]
	nsObj, err := dyn.Resource(testcluster.NamespacesGVR).Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := nsObj.GetLabels()[applyset.PartOfLabel]; id == "" || got != id {
		t.Errorf("namespace labelled part-of=%q, want the parent's ID %q", got, id)
	}

	v2 := bundle(namespaceDoc(ns), configMap("c1", "", map[string]string{"k": "v"}))
	code, stdout, stderr = kapplyIn(t, kc, v2, args...)
	if code != exitOK {
		t.Fatalf("second run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"namespace/" + ns + " unchanged\n", "configmap/c1 -n " + ns + " unchanged\n", "configmap/c2 -n " + ns + " pruned\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("second run: stdout does not contain %q:\n%s", want, stdout)
		}
	}
}

// compact drops consecutive repeats, so that parallel writes of one kind
// count once.
func compact(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

// When the parent cannot be written after the Namespace was created for
// it, no member has been written, and the Namespace does not carry the
// part-of label: the parent never misses a member. The next run completes.
func TestApplySetNamespaceCreatedButParentRefused(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "applyset-new-ns-refused"
	// The bundle creates it: delete what an earlier run left (issue 17, item 8).
	testcluster.Fresh(t, kc, testcluster.NamespacesGVR, ns)
	in := bundle(namespaceDoc(ns), configMap("c1", "", map[string]string{"k": "v"}))
	args := []string{"apply", "-f", "-", "-n", ns, "--applyset", "web", "--prune"}
	proxied, _ := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Status, Status: 403, Methods: []string{"PATCH"}, Path: regexp.MustCompile(`/namespaces/` + ns + `/secrets/web$`), Rate: 1},
	}})
	code, stdout, stderr := kapplyIn(t, proxied, in, args...)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout, stderr)
	}
	if want := "namespace " + ns + " was created, but no member was written: write ApplySet parent secret/web -n " + ns; !strings.Contains(stderr, want) {
		t.Errorf("stderr does not contain %q:\n%s", want, stderr)
	}
	dyn := testcluster.Dynamic(t, kc)
	nsObj, err := dyn.Resource(testcluster.NamespacesGVR).Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("namespace: %v", err)
	}
	if got, ok := nsObj.GetLabels()[applyset.PartOfLabel]; ok {
		t.Errorf("namespace labelled part-of=%q although no parent records it", got)
	}
	if configMapExists(t, kc, ns, "c1") {
		t.Error("a member was written although the parent was not")
	}
	code, stdout, stderr = kapplyIn(t, kc, in, args...)
	if code != exitOK {
		t.Fatalf("next run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if want := "2 objects: 1 created, 1 configured, 0 unchanged\n"; !strings.Contains(stdout, want) {
		t.Errorf("next run: stdout does not contain %q:\n%s", want, stdout)
	}
}
