//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

const crdPrefix = "customresourcedefinition.apiextensions.k8s.io/"

// Deleting a CRD names the custom resources it takes with it; with
// --wait, a CRD held by its custom resources shows its Terminating
// condition while it waits and in the timeout report (issue 13 I).
func TestDeleteCRDReportsItsCustomResourcesAndTerminatingCondition(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "delete-crd"
	testcluster.CreateNamespace(t, kc, ns)
	testcluster.Fresh(t, kc, crdsGVR, "widgets.del13.kapply.dev")
	dyn := testcluster.Dynamic(t, kc)
	crd := crdOf("del13.kapply.dev", "Widget", "widgets")
	widgets := schema.GroupVersionResource{Group: "del13.kapply.dev", Version: "v1", Resource: "widgets"}
	cr := "apiVersion: del13.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: held\n  namespace: " + ns + "\n  finalizers: [kapply.dev/test-hold]\n"
	if code, stdout, stderr := kapplyIn(t, kc, bundle(crd, cr), "apply", "-f", "-"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	// Registered after Fresh's clean-up, so run before it: the finalizer
	// goes first, then the CRD can go.
	t.Cleanup(func() {
		patch := `{"metadata":{"finalizers":null}}`
		_, _ = dyn.Resource(widgets).Namespace(ns).Patch(context.Background(), "held", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	})
	code, stdout, stderr := kapplyIn(t, kc, crd, "delete", "-f", "-")
	wantOut := crdPrefix + "widgets.del13.kapply.dev deleted (with 1 custom resource (delete-crd: 1): widget/held -n delete-crd)\n"
	if code != exitOK || !strings.HasPrefix(stdout, wantOut) {
		t.Errorf("exit %d, want %d; stdout should start with %q:\n%s%s", code, exitOK, wantOut, stdout, stderr)
	}
	// The API server's finalizer deletes the custom resource, which its
	// own finalizer holds: the CRD stays Terminating.
	eventually(t, 2*time.Minute, "the custom resource is terminating, held by its finalizer", func() bool {
		u, err := dyn.Resource(widgets).Namespace(ns).Get(context.Background(), "held", metav1.GetOptions{})
		return err == nil && u.GetDeletionTimestamp() != nil
	})
	// Deleting it again is accepted, and the wait shows why it stays. The
	// finalizer reports InstanceDeletionCheck once it has waited a minute
	// for the custom resources to go.
	code, _, stderr = kapplyIn(t, kc, crd, "delete", "-f", "-", "--wait", "--timeout", "5s")
	ref := regexp.QuoteMeta(crdPrefix + "widgets.del13.kapply.dev: ")
	why := `waiting for finalizers customresourcecleanup\.apiextensions\.k8s\.io: Terminating: ` +
		`(InstanceDeletionInProgress: CustomResource deletion is in progress|InstanceDeletionCheck: could not confirm zero CustomResources remaining: [^\n]+)\n`
	progress := regexp.MustCompile(`(?m)^` + ref + `still present: ` + why)
	report := regexp.MustCompile(`still present after the timeout:\n  ` + ref + why)
	if code != exitTimeout || !progress.MatchString(stderr) || !report.MatchString(stderr) {
		t.Errorf("exit %d, want %d; stderr should show the CRD's Terminating condition in the progress (%s) and in the report (%s):\n%s", code, exitTimeout, progress, report, stderr)
	}
}

// Before deleting a CRD, kapply lists its resource until the server
// answers, and only then deletes it: a CRD deleted while its resource's
// storage is still being built stays Terminating for minutes
// (operator-framework/operator-controller#1437). The proxy answers the
// first lists as the API server can right after an install: 404 (its
// handler has not caught up with the CRD), then 429 "storage is
// (re)initializing" (here without Retry-After, so that client-go does not
// retry them itself and kapply's own retry is what is tested).
func TestDeleteCRDListsItsResourceUntilTheServerAnswers(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "delete-crd-list"
	name := "widgets.list13.kapply.dev"
	testcluster.CreateNamespace(t, kc, ns)
	testcluster.Fresh(t, kc, crdsGVR, name)
	crd := crdOf("list13.kapply.dev", "Widget", "widgets")
	cr := "apiVersion: list13.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: " + ns + "\n"
	if code, stdout, stderr := kapplyIn(t, kc, bundle(crd, cr), "apply", "-f", "-"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	listPath := regexp.MustCompile(`^/apis/list13\.kapply\.dev/v1/widgets$`)
	get := []string{"GET"}
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Status, Status: 404, Methods: get, Path: listPath, Nth: []int{1}},
		{Fault: faultproxy.Status, Status: 429, Methods: get, Path: listPath, Nth: []int{1, 2}},
	}})
	code, stdout, stderr := kapplyIn(t, pkc, crd, "delete", "-f", "-", "--wait", "--timeout", "1m")
	wantOut := crdPrefix + name + " deleted (with 1 custom resource (delete-crd-list: 1): widget/w -n delete-crd-list)\n"
	if code != exitOK || !strings.HasPrefix(stdout, wantOut) {
		t.Errorf("exit %d, want %d; stdout should start with %q:\n%s%s", code, exitOK, wantOut, stdout, stderr)
	}
	var got []string
	for _, r := range proxy.Requests() {
		switch {
		case r.Method == "GET" && !r.Watch && listPath.MatchString(r.Path):
			got = append(got, fmt.Sprintf("list %d", r.Status))
		case r.Method == "DELETE" && strings.HasSuffix(r.Path, "/customresourcedefinitions/"+name):
			got = append(got, fmt.Sprintf("delete %d", r.Status))
		}
	}
	want := []string{"list 404", "list 429", "list 429", "list 200", "delete 200"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lists of the custom resources, then the CRD's delete, as the proxy saw them (-want +got):\n%s", diff)
	}
	if _, err := testcluster.Dynamic(t, kc).Resource(crdsGVR).Get(context.Background(), name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the CRD should be gone after delete --wait: %v", err)
	}
}

// Installed and deleted at once, as in issue 13 I (argo-cd's install, then
// delete --wait seconds later): the run completes, every CRD is gone, and
// the deletion of a CRD names the custom resources it takes with it,
// counted per namespace, the first five by name. The API server's
// finalizer never reports InstanceDeletionFailed ("could not list
// instances: storage is (re)initializing"), the failure after which it
// may not try again for minutes: without kapply's list first, it is the
// first to list CRDs b to e, whose storage is then still being built,
// and it fails there on nearly every run (on the devcluster, the hang
// itself followed in 2 of 880 CRD deletions by kubectl).
func TestApplyThenDeleteCRDsAtOnce(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	nsA, nsB := "delete-crd-now-a", "delete-crd-now-b"
	testcluster.CreateNamespace(t, kc, nsA)
	testcluster.CreateNamespace(t, kc, nsB)
	var crds, names []string
	for _, g := range []string{"a", "b", "c", "d", "e"} {
		crds = append(crds, crdOf("now13"+g+".kapply.dev", "Widget", "widgets"))
		names = append(names, "widgets.now13"+g+".kapply.dev")
	}
	testcluster.Fresh(t, kc, crdsGVR, names...)
	docs := append([]string{}, crds...)
	for i, ns := range []string{nsA, nsA, nsA, nsA, nsA, nsA, nsB} {
		docs = append(docs, fmt.Sprintf("apiVersion: now13a.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: w%d\n  namespace: %s\n", i+1, ns))
	}
	if code, stdout, stderr := kapplyIn(t, kc, bundle(docs...), "apply", "-f", "-"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	conditions := watchTerminating(t, kc, names)
	// Only the CRDs are deleted, as when an operator is uninstalled: the
	// custom resources go with them.
	code, stdout, stderr := kapplyIn(t, kc, bundle(crds...), "delete", "-f", "-", "--wait", "--timeout", "2m")
	want := crdPrefix + names[0] + " deleted (with 7 custom resources (delete-crd-now-a: 6, delete-crd-now-b: 1): " +
		"widget/w1 -n delete-crd-now-a, widget/w2 -n delete-crd-now-a, widget/w3 -n delete-crd-now-a, widget/w4 -n delete-crd-now-a, widget/w5 -n delete-crd-now-a, and 2 more)\n"
	if code != exitOK || !strings.Contains(stdout, want) || !strings.HasSuffix(stdout, "5 objects: 5 deleted\n") {
		t.Errorf("exit %d, want %d; stdout should hold %q and 5 deleted:\n%s%s", code, exitOK, want, stdout, stderr)
	}
	dyn := testcluster.Dynamic(t, kc)
	for _, n := range names {
		if _, err := dyn.Resource(crdsGVR).Get(context.Background(), n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("CRD %s should be gone after delete --wait: %v", n, err)
		}
	}
	for _, c := range conditions() {
		if strings.Contains(c, "InstanceDeletionFailed") {
			t.Errorf("the API server's CRD finalizer failed (the failure that can hold a CRD for minutes): %s", c)
		}
	}
}

// watchTerminating records the Terminating conditions the named CRDs go
// through, from now until each is deleted; the returned func waits (at
// most a minute) for every deletion to be seen and returns them as "NAME:
// REASON: MESSAGE", in order.
func watchTerminating(t *testing.T, kc string, names []string) func() []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := testcluster.Dynamic(t, kc).Resource(crdsGVR).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	var seen []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || !wanted[u.GetName()] {
				continue
			}
			if ev.Type == watch.Deleted {
				delete(wanted, u.GetName())
				if len(wanted) == 0 {
					return
				}
				continue
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range conds {
				if m, _ := c.(map[string]any); m["type"] == "Terminating" {
					seen = append(seen, fmt.Sprintf("%s: %v: %v", u.GetName(), m["reason"], m["message"]))
				}
			}
		}
	}()
	return func() []string {
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("the watch on CRDs did not see %d of them deleted within a minute", len(names))
		}
		return seen
	}
}

// delete --applyset (and so --prune --prune-crds) deletes a CRD member as
// delete -f does: its resource is listed until the server answers, and
// only then is it deleted, naming the custom resources it takes with it
// (issue 13 I).
func TestDeleteApplySetListsACRDsResourceFirst(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "delete-crd-set"
	name := "widgets.set13.kapply.dev"
	testcluster.CreateNamespace(t, kc, ns)
	testcluster.Fresh(t, kc, crdsGVR, name)
	crd := crdOf("set13.kapply.dev", "Widget", "widgets")
	// --wait: nothing in this run needs the CRD, so only --wait waits
	// until it is established, and the next run can use its kind.
	if code, stdout, stderr := kapplyIn(t, kc, crd, "apply", "-f", "-", "-n", ns, "--applyset", "crds", "--wait", "--timeout", "2m"); code != exitOK {
		t.Fatalf("apply --applyset: exit %d\n%s%s", code, stdout, stderr)
	}
	// Not a member: it goes with its CRD.
	cr := "apiVersion: set13.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: " + ns + "\n"
	if code, stdout, stderr := kapplyIn(t, kc, cr, "apply", "-f", "-"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	// The unlabelled list is kapply's; the set's members are listed by
	// label.
	listPath, unlabelled := regexp.MustCompile(`^/apis/set13\.kapply\.dev/v1/widgets$`), regexp.MustCompile(`^$`)
	get := []string{"GET"}
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Status, Status: 429, Methods: get, Path: listPath, Query: unlabelled, Nth: []int{1, 2}},
	}})
	code, stdout, stderr := kapplyIn(t, pkc, "", "delete", "--applyset", "crds", "-n", ns)
	wantOut := crdPrefix + name + " deleted (with 1 custom resource (delete-crd-set: 1): widget/w -n delete-crd-set)\n"
	if code != exitOK || !strings.Contains(stdout, wantOut) {
		t.Errorf("exit %d, want %d; stdout should hold %q:\n%s%s", code, exitOK, wantOut, stdout, stderr)
	}
	var got []string
	for _, r := range proxy.Requests() {
		switch {
		case r.Method == "GET" && !r.Watch && listPath.MatchString(r.Path) && r.Query == "":
			got = append(got, fmt.Sprintf("list %d", r.Status))
		case r.Method == "DELETE" && strings.HasSuffix(r.Path, "/customresourcedefinitions/"+name):
			got = append(got, fmt.Sprintf("delete %d", r.Status))
		}
	}
	want := []string{"list 429", "list 429", "list 200", "delete 200"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unlabelled lists of the custom resources, then the CRD's delete, as the proxy saw them (-want +got):\n%s", diff)
	}
}

// Without the right to list a CRD's custom resources, the CRD is deleted
// at once without the list, and the result says so: retrying a refusal
// would only delay the delete.
func TestDeleteCRDWhoseResourceCannotBeListed(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	name := "widgets.nolist13.kapply.dev"
	testcluster.Fresh(t, kc, crdsGVR, name)
	crd := crdOf("nolist13.kapply.dev", "Widget", "widgets")
	if code, stdout, stderr := kapplyIn(t, kc, crd, "apply", "-f", "-"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	listPath := regexp.MustCompile(`^/apis/nolist13\.kapply\.dev/v1/widgets$`)
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Status, Status: 403, Methods: []string{"GET"}, Path: listPath, Rate: 1},
	}})
	code, stdout, stderr := kapplyIn(t, pkc, crd, "delete", "-f", "-")
	wantOut := crdPrefix + name + " deleted (custom resources not listed: fault proxy: 403 Forbidden)\n"
	if code != exitOK || !strings.HasPrefix(stdout, wantOut) {
		t.Errorf("exit %d, want %d; stdout should start with %q:\n%s%s", code, exitOK, wantOut, stdout, stderr)
	}
	lists := 0
	for _, r := range proxy.Requests() {
		if r.Method == "GET" && !r.Watch && listPath.MatchString(r.Path) {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("the refused list was sent %d times, want once", lists)
	}
}
