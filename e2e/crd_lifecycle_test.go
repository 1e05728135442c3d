//go:build e2e

package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// The wait for one CRD holds back only its custom resources: while the
// watch on CRD A is held by the proxy (A is never seen established), the
// custom resource of CRD B and the ConfigMap are written (issues 13 H and
// 19). Before, CRDs were waited for one at a time before the next stage.
func TestCRDWaitGatesOnlyItsCustomResources(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "crd-gate"
	dyn := testcluster.Dynamic(t, kc)
	for _, name := range []string{"widgets.held13a.kapply.dev", "widgets.held13b.kapply.dev"} {
		t.Cleanup(func() { _ = dyn.Resource(crdsGVR).Delete(context.Background(), name, metav1.DeleteOptions{}) })
	}
	in := bundle("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n",
		crdOf("held13a.kapply.dev", "Widget", "widgets"), crdOf("held13b.kapply.dev", "Widget", "widgets"),
		"apiVersion: held13a.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: wa\n  namespace: "+ns+"\n",
		"apiVersion: held13b.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: wb\n  namespace: "+ns+"\n",
		configMap("plain", ns, map[string]string{"k": "v"}))
	run := startHeld(t, kc, in, faultproxy.Rule{Watch: true, Path: regexp.MustCompile(`/customresourcedefinitions$`), Query: regexp.MustCompile(`held13a`)},
		"apply", "-f", "-", "--crd-timeout", "3m")
	widgetsB := schema.GroupVersionResource{Group: "held13b.kapply.dev", Version: "v1", Resource: "widgets"}
	eventually(t, time.Minute, "with CRD A's wait held, the custom resource of CRD B and the ConfigMap were written", func() bool {
		_, errB := dyn.Resource(widgetsB).Namespace(ns).Get(context.Background(), "wb", metav1.GetOptions{})
		return errB == nil && configMapExists(t, kc, ns, "plain")
	})
	o := run.releaseAndWait(t, "CRD A's wait")
	if o.code != exitOK || !strings.Contains(o.stdout, "widget.held13a.kapply.dev/wa -n crd-gate created") || !strings.Contains(o.stdout, "widget.held13b.kapply.dev/wb -n crd-gate created") {
		t.Errorf("exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
}

// A bundle of CRDs alone, with --wait: every CRD is waited for
// (established) before the run ends, with a custom resource or not.
func TestApplyWaitWaitsForCRDsWithoutCustomResources(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	dyn := testcluster.Dynamic(t, kc)
	for _, name := range []string{"widgets.only13a.kapply.dev", "widgets.only13b.kapply.dev"} {
		t.Cleanup(func() { _ = dyn.Resource(crdsGVR).Delete(context.Background(), name, metav1.DeleteOptions{}) })
	}
	in := bundle(crdOf("only13a.kapply.dev", "Widget", "widgets"), crdOf("only13b.kapply.dev", "Widget", "widgets"))
	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "--wait", "--timeout", "1m")
	// A CRD is ready once Established.
	if code != exitOK || !strings.HasSuffix(stdout, "2 objects: 2 ready\n") || strings.Count(stderr, ": ready: Established") != 2 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// A CRD nothing in the bundle needs is not waited for (issue 19): with
// the watch on it held by the proxy, so that it is never seen established,
// the run still ends, every object created, and reports no CRD wait. Before,
// every CRD the run wrote was waited for until the run ended, and this one
// failed at --crd-timeout. Right after, a re-apply finds every object
// unchanged, though the API server may still be establishing the CRD.
func TestApplyDoesNotWaitForCRDsNothingNeeds(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	group, ns := widgetGroupOfThisRun(t, kc, "nowait")
	in := bundle(crdOf(group, "Widget", "widgets"), configMap("plain", ns, map[string]string{"k": "v"}))
	run := startHeld(t, kc, in, faultproxy.Rule{Watch: true, Path: regexp.MustCompile(`/customresourcedefinitions$`), Query: regexp.MustCompile(`nowait`)},
		"apply", "-f", "-", "-o", "json", "--crd-timeout", "1m")
	o := run.wait(t)
	if o.code != exitOK {
		t.Fatalf("exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	_, sum := parseJSONResults(t, o.stdout)
	if sum.Actions["created"] != 2 || sum.CRDWaitSeconds != 0 {
		t.Errorf("summary %+v, want 2 created and no CRD wait\n%s", sum, o.stderr)
	}

	code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "-o", "json")
	if code != exitOK {
		t.Fatalf("re-apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, sum := parseJSONResults(t, stdout); sum.Actions["unchanged"] != 2 {
		t.Errorf("re-apply right after: summary %+v, want 2 unchanged\n%s", sum, stdout)
	}
}

// A run that needs a kind whose CRD is on the cluster but not established
// yet waits for it (issue 19): a script that applies CRDs in one step and
// their custom resources in the next works without --wait, though the
// first run did not wait for CRDs nothing in its bundle needed. Argo CD's
// CRDs take the API server a while to establish (one is 1.4 MB), so the
// second run, started at once, meets them not established. Before, it
// failed with "unknown kind". A fresh cluster: the CRDs' names are fixed.
func TestApplyRightAfterItsCRDWaitsForIt(t *testing.T) {
	kc := testcluster.New(t)
	ns := "argocd"
	testcluster.CreateNamespace(t, kc, ns)
	if code, stdout, stderr := kapplyIn(t, kc, "", "apply", "-f", "../testdata/bundles/argo-cd/install.yaml", "-n", ns); code != exitOK {
		t.Fatalf("apply Argo CD: exit %d\n%s%s", code, stdout, stderr)
	}
	cr := "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: set\n  namespace: " + ns + "\nspec:\n  generators: []\n  template:\n    metadata: {}\n    spec:\n      project: default\n      destination: {}\n"
	code, stdout, stderr := kapplyIn(t, kc, cr, "apply", "-f", "-")
	if code != exitOK || !strings.Contains(stdout, "applicationset.argoproj.io/set -n "+ns+" created") {
		t.Fatalf("apply a custom resource right after: exit %d\n%s%s", code, stdout, stderr)
	}
}

// CRDs are written alongside the later stages (issue 19): with the write
// of a CRD held by the proxy, the ConfigMap of the bundle is
// written meanwhile; its custom resource once it is established. Before, the first
// stage (Namespaces and CRDs) held every later stage back, so a 1.4 MB CRD
// that takes the API server seconds to write held the whole bundle.
func TestCRDWriteHoldsBackOnlyItsCustomResources(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	group, ns := widgetGroupOfThisRun(t, kc, "slow")
	dyn := testcluster.Dynamic(t, kc)
	in := bundle(crdOf(group, "Widget", "widgets"), configMap("plain", ns, map[string]string{"k": "v"}),
		"apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: "+ns+"\n")
	run := startHeld(t, kc, in, faultproxy.Rule{Methods: []string{"PATCH"}, Path: regexp.MustCompile(`/customresourcedefinitions/widgets\.` + regexp.QuoteMeta(group) + `$`)},
		"apply", "-f", "-")
	eventually(t, time.Minute, "with the CRD's write held, the ConfigMap was written", func() bool {
		return configMapExists(t, kc, ns, "plain")
	})
	widgets := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}
	o := run.releaseAndWait(t, "the CRD's write")
	if o.code != exitOK || !strings.Contains(o.stdout, "widget."+group+"/w -n "+ns+" created") {
		t.Fatalf("exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	if _, err := dyn.Resource(widgets).Namespace(ns).Get(context.Background(), "w", metav1.GetOptions{}); err != nil {
		t.Errorf("the custom resource is not on the cluster: %v", err)
	}
}
