//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// discoveryPath matches the discovery documents: /api, /apis and
// /api/<version>, /apis/<group>[/<version>].
var discoveryPath = regexp.MustCompile(`^/(api|apis)(/[^/]+){0,2}$`)

// discoveryRequests returns the discovery requests in log, as "GET PATH".
func discoveryRequests(log []faultproxy.Request) []string {
	var out []string
	for _, l := range log {
		if l.Method == "GET" && discoveryPath.MatchString(l.Path) {
			out = append(out, l.Method+" "+l.Path)
		}
	}
	return out
}

// README: discovery is cached on disk (--cache-dir), so a second run makes
// no discovery request, and a kind missing from the cache triggers one
// refresh. The runs go through a proxy that logs every request.
func TestDiscoveryCacheOnDisk(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "discovery-cache"
	testcluster.CreateNamespace(t, kc, ns)
	const crdName = "sprockets.discovery.kapply.dev"
	testcluster.Fresh(t, kc, testcluster.CRDsGVR, crdName)
	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{})
	cache := filepath.Join(t.TempDir(), "cache")
	seen := 0
	apply := func(what, in string) []string {
		t.Helper()
		code, stdout, stderr := kapplyProc(t, pkc, cache, in, "apply", "-f", "-", "-n", ns)
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", what, code, stdout, stderr)
		}
		log := proxy.Requests()
		reqs := discoveryRequests(log[seen:])
		seen = len(log)
		return reqs
	}

	cold := apply("cold run", configMap("first", "", map[string]string{"k": "v"}))
	if len(cold) == 0 {
		t.Fatal("the cold run made no discovery request: the proxy saw none, so the counts below mean nothing")
	}
	if warm := apply("second run", configMap("second", "", map[string]string{"k": "v"})); len(warm) != 0 {
		t.Errorf("the second run, with a filled cache, made discovery requests: %v", warm)
	}

	// A kind the cache does not know: its CRD is created behind kapply's
	// back, then a run applies one of its objects.
	crd := plainCRD("discovery.kapply.dev", "Sprocket", "sprockets")
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(crd), &obj.Object); err != nil {
		t.Fatal(err)
	}
	crds := testcluster.Dynamic(t, kc).Resource(testcluster.CRDsGVR)
	if _, err := crds.Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := crds.Get(context.Background(), crdName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		established := false
		for _, c := range conds {
			m, _ := c.(map[string]any)
			established = established || (m["type"] == "Established" && m["status"] == "True")
		}
		if established {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRD %s not established after a minute", crdName)
		}
		time.Sleep(100 * time.Millisecond)
	}
	refresh := apply("run with a kind missing from the cache", "apiVersion: discovery.kapply.dev/v1\nkind: Sprocket\nmetadata:\n  name: s\nspec: {teeth: 12}\n")
	// One refresh asks what the cold run asked, once.
	if diff := cmp.Diff(sorted(cold), sorted(refresh)); diff != "" {
		t.Errorf("discovery requests for the missing kind, against the cold run's (-cold +refresh):\n%s", diff)
	}
	if again := apply("run after the refresh", "apiVersion: discovery.kapply.dev/v1\nkind: Sprocket\nmetadata:\n  name: s\nspec: {teeth: 12}\n"); len(again) != 0 {
		t.Errorf("the run after the refresh made discovery requests: %v", again)
	}
	t.Logf("discovery requests: cold %v, refresh %v", cold, refresh)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
