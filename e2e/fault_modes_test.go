//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// configMaps is a bundle of n ConfigMaps cm-0... with data v=value.
func configMaps(n int, value string) (string, []jsonObject) {
	var docs []string
	var objs []jsonObject
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("cm-%d", i)
		docs = append(docs, configMap(name, "", map[string]string{"v": value}))
		objs = append(objs, jsonObject{Kind: "ConfigMap", Name: name})
	}
	return bundle(docs...), objs
}

// liveData returns the data value v of each ConfigMap of ns, read directly.
func liveData(t *testing.T, kc, ns string) map[string]string {
	t.Helper()
	l, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, item := range l.Items {
		if item.GetName() != "kube-root-ca.crt" {
			out[item.GetName()] = item.Object["data"].(map[string]any)["v"].(string)
		}
	}
	return out
}

// applyThrough runs kapply COMMAND -o json against kc and checks the exit code and
// that every object got action; it returns the summary's retries.
func applyThrough(t *testing.T, kc, in, ns string, objs []jsonObject, action, command string, extra ...string) int {
	t.Helper()
	args := append([]string{command, "-f", "-", "-n", ns, "-o", "json"}, extra...)
	code, stdout, stderr := kapplyIn(t, kc, in, args...)
	if code != exitOK {
		t.Fatalf("kapply %v: exit %d\n%s\n%s", args, code, stdout, stderr)
	}
	results, sum := parseJSONResults(t, stdout)
	want := map[jsonObject]string{}
	for _, o := range objs {
		o.Namespace = ns
		want[o] = action
	}
	if diff := cmp.Diff(want, actionsOf(results)); diff != "" {
		t.Errorf("kapply %v: reported actions (-want +got):\n%s", args, diff)
	}
	return sum.Retries
}

func wantData(n int, value string) map[string]string {
	out := map[string]string{}
	for i := 0; i < n; i++ {
		out[fmt.Sprintf("cm-%d", i)] = value
	}
	return out
}

// A POST or PUT whose response is lost is not sent again blindly: the
// object is read back, and counts as created (configured) when it is
// there as sent.
func TestCreateAndUpdateRecoverLostResponses(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	const n = 30
	dropWrites := func(method string) faultproxy.Rule {
		return faultproxy.Rule{Fault: faultproxy.Drop, Methods: []string{method}, Rate: 0.3}
	}
	t.Run("create", func(t *testing.T) {
		ns := "faults-create"
		testcluster.CreateNamespace(t, kc, ns)
		in, objs := configMaps(n, "1")
		pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Seed: 11, Rules: []faultproxy.Rule{dropWrites("POST")}})
		retries := applyThrough(t, pkc, in, ns, objs, "created", "create")
		faults := len(proxy.Faults())
		if faults == 0 || retries != faults {
			t.Errorf("%d retries for %d dropped responses, want one each (and some)", retries, faults)
		}
		if posts := len(proxy.Writes()); posts != n {
			t.Errorf("%d POSTs reached the server, want %d: a POST whose response was lost was sent again", posts, n)
		}
		if diff := cmp.Diff(wantData(n, "1"), liveData(t, kc, ns)); diff != "" {
			t.Errorf("cluster (-want +got):\n%s", diff)
		}
		t.Logf("MODES create, 30%% of POST responses dropped: requests %d, faults %d, retries %d", len(proxy.Requests()), faults, retries)
	})
	t.Run("update", func(t *testing.T) {
		ns := "faults-update"
		testcluster.CreateNamespace(t, kc, ns)
		in, objs := configMaps(n, "1")
		pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Seed: 12, Rules: []faultproxy.Rule{dropWrites("POST")}})
		retries := applyThrough(t, pkc, in, ns, objs, "created", "apply", "--mode", "update")
		if faults := len(proxy.Faults()); faults == 0 || retries != faults {
			t.Errorf("create: %d retries for %d dropped responses, want one each (and some)", retries, faults)
		}

		// The first PATCH is refused with 409 Conflict (retried from a
		// fresh read), and 30% of the PATCHes' responses are lost.
		in, _ = configMaps(n, "2")
		pkc, proxy = faultproxy.Start(t, kc, faultproxy.Config{Seed: 13, Rules: []faultproxy.Rule{
			{Fault: faultproxy.Status, Status: 409, Methods: []string{"PATCH"}, Nth: []int{1}},
			dropWrites("PATCH"),
		}})
		retries = applyThrough(t, pkc, in, ns, objs, "configured", "apply", "--mode", "update")
		faults := proxy.Faults()
		if len(faults) < 2 || faults[0].Status != 409 || retries != len(faults) {
			t.Errorf("replace: %d retries for faults %+v, want a 409 first and one retry each", retries, faults)
		}
		if patches := len(proxy.Writes()); patches != n {
			t.Errorf("%d PATCHes reached the server, want %d: a PATCH whose response was lost was sent again", patches, n)
		}
		if diff := cmp.Diff(wantData(n, "2"), liveData(t, kc, ns)); diff != "" {
			t.Errorf("cluster (-want +got):\n%s", diff)
		}
		applyThrough(t, kc, in, ns, objs, "unchanged", "apply", "--mode", "update")
		t.Logf("MODES update, 409 on the first PATCH + 30%% of PATCH responses dropped: requests %d, faults %d, retries %d", len(proxy.Requests()), len(faults), retries)
	})
}

var widgetCRD = plainCRD("faults.kapply.dev", "Widget", "widgets")

// The wait for a bundle's CRD to be established survives watches that
// fail to start and watches that end early.
func TestBundleCRDSurvivesBrokenWatches(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "faults-crd"
	testcluster.Fresh(t, kc, testcluster.CRDsGVR, "widgets.faults.kapply.dev")
	testcluster.Fresh(t, kc, testcluster.NamespacesGVR, ns)
	docs := []string{"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n", widgetCRD}
	for i := 0; i < 3; i++ {
		docs = append(docs, fmt.Sprintf("apiVersion: faults.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: w-%d\n  namespace: %s\nspec:\n  size: %d\n", i, ns, i))
	}
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Seed: 21, Rules: []faultproxy.Rule{
		{Fault: faultproxy.Status, Status: 503, Watch: true, Nth: []int{1, 2}},
		{Fault: faultproxy.EndWatch, Rate: 1},
	}})
	code, stdout, stderr := kapplyIn(t, pkc, bundle(docs...), "apply", "-f", "-", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	results, sum := parseJSONResults(t, stdout)
	if sum.Actions["created"] != 5 {
		t.Errorf("actions %v, want 5 created", sum.Actions)
	}
	watches, refused, ended := 0, 0, 0
	for _, l := range proxy.Requests() {
		switch {
		case l.Fault == faultproxy.EndWatch:
			ended++
		case l.Fault == faultproxy.Status:
			refused++
		}
		if l.Watch {
			watches++
		}
	}
	if refused != 2 {
		t.Errorf("%d watches refused with 503, want 2", refused)
	}
	// Every fault is retried once, except the watch that ended right after
	// the event saying the CRD is established.
	if faults := len(proxy.Faults()); ended == 0 || sum.Retries != faults-1 {
		t.Errorf("%d retries for %d faults (%d watches ended early), want one fewer", sum.Retries, faults, ended)
	}
	widgets := schema.GroupVersionResource{Group: "faults.kapply.dev", Version: "v1", Resource: "widgets"}
	l, err := testcluster.Dynamic(t, kc).Resource(widgets).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(l.Items) != 3 {
		t.Fatalf("widgets on the cluster: %v, %v", l, err)
	}
	t.Logf("CRD watches %d (%d ended early), faults %d, retries %d, results %d", watches, ended, len(proxy.Faults()), sum.Retries, len(results))
}

// The proxy's log says exactly which requests reached the server: the
// first PATCH is answered 503 by the proxy, the second one goes through.
func TestFaultProxyLogsWhatReachedTheServer(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "faults-log"
	testcluster.CreateNamespace(t, kc, ns)
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Status, Status: 503, Methods: []string{"PATCH"}, Path: regexp.MustCompile(`/configmaps/`), Nth: []int{1}},
	}})
	in := configMap("logged", "", map[string]string{"k": "v"})
	if retries := applyThrough(t, pkc, in, ns, []jsonObject{{Kind: "ConfigMap", Name: "logged"}}, "created", "apply"); retries != 1 {
		t.Errorf("%d retries, want 1", retries)
	}
	var patches []faultproxy.Request
	for _, l := range proxy.Requests() {
		if l.Method == "PATCH" {
			l.Seq, l.Query, l.Accept = 0, "", "" // what kapply asks for is not the point here
			patches = append(patches, l)
		}
	}
	path := "/api/v1/namespaces/" + ns + "/configmaps/logged"
	want := []faultproxy.Request{
		{Method: "PATCH", Path: path, Fault: faultproxy.Status, Status: 503},
		{Method: "PATCH", Path: path, Forwarded: true, Status: 201, UpstreamStatus: 201},
	}
	if diff := cmp.Diff(want, patches); diff != "" {
		t.Errorf("PATCH requests (-want +got):\n%s", diff)
	}
	if writes := proxy.Writes(); len(writes) != 1 || writes[0].Path != path {
		t.Errorf("writes that reached the server: %+v", writes)
	}
}

// Discovery (the RESTMapper's source) survives transient faults: the
// transport retries a 503, client-go or net/http a reset GET.
func TestDiscoverySurvivesTransientFaults(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "faults-discovery"
	testcluster.CreateNamespace(t, kc, ns)
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Rules: []faultproxy.Rule{
		{Fault: faultproxy.Status, Status: 503, Path: regexp.MustCompile(`^/api$`), Nth: []int{1, 2}},
		{Fault: faultproxy.Reset, Path: regexp.MustCompile(`^/apis$`), Nth: []int{1}},
	}})
	in := configMap("discovered", "", map[string]string{"k": "v"})
	retries := applyThrough(t, pkc, in, ns, []jsonObject{{Kind: "ConfigMap", Name: "discovered"}}, "created", "apply")
	var got []string
	for _, l := range proxy.Faults() {
		got = append(got, fmt.Sprintf("%s %s %s", l.Method, l.Path, l.Fault))
	}
	slices.Sort(got) // /api and /apis may be fetched in parallel
	want := []string{"GET /api status", "GET /api status", "GET /apis reset"}
	if diff := cmp.Diff(want, got); diff != "" || retries != len(want) {
		t.Errorf("%d retries, want %d; faults (-want +got):\n%s", retries, len(want), diff)
	}
}
