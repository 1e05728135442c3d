//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// namespaceBundle is a Namespace (when withNamespace) and, in it, n
// ConfigMaps and a Deployment.
func namespaceBundle(ns string, withNamespace bool, n int) []string {
	var docs []string
	if withNamespace {
		docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", ns))
	}
	for i := range n {
		docs = append(docs, configMap(fmt.Sprintf("cm-%d", i), ns, map[string]string{"k": "v"}))
	}
	return append(docs, fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: %s
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.k8s.io/pause:3.10}]
`, ns))
}

// A first apply into Namespaces it creates reads nothing in them: nothing
// of the bundle can be there before the run created the namespace, so
// neither the LIST of a group of objects nor the GET of one is sent (issue
// 16). In a namespace that exists, both are still read. Writes of
// built-in kinds ask for the written object's metadata only. A second run
// finds everything unchanged.
func TestApplyIntoNewNamespacesReadsNothingInThem(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	// Names of this run's own: a namespace deleted by an earlier run may
	// still be terminating.
	run := time.Now().UnixNano() % 1e9
	newA, newB, old := fmt.Sprintf("newns-a-%d", run), fmt.Sprintf("newns-b-%d", run), fmt.Sprintf("newns-old-%d", run)
	testcluster.Fresh(t, kc, testcluster.NamespacesGVR, newA, newB)
	testcluster.CreateNamespace(t, kc, old)
	const perNamespace = 9 // above the count from which a group is listed
	var docs []string
	for _, ns := range []string{newA, newB} {
		docs = append(docs, namespaceBundle(ns, true, perNamespace)...)
	}
	docs = append(docs, namespaceBundle(old, false, perNamespace)...)
	in := bundle(docs...)
	total := len(docs)

	pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{})
	code, stdout, stderr := kapplyIn(t, pkc, in, "apply", "-f", "-")
	if want := fmt.Sprintf("%d objects: %d created, 0 configured, 0 unchanged\n", total, total); code != exitOK || !strings.HasSuffix(stdout, want) {
		t.Fatalf("first apply: exit %d, want %d and a summary %q\n%s\n%s", code, exitOK, want, stdout, stderr)
	}
	reads := map[string][]string{}
	for _, r := range proxy.Requests() {
		if r.Method != "GET" {
			if r.Method == "PATCH" && !strings.Contains(r.Accept, "as=PartialObjectMetadata") {
				t.Errorf("PATCH %s asked for %q, want the object's metadata only (as=PartialObjectMetadata)", r.Path, r.Accept)
			}
			continue
		}
		for _, ns := range []string{newA, newB, old} {
			if strings.Contains(r.Path, "/namespaces/"+ns+"/") {
				reads[ns] = append(reads[ns], r.Path)
			}
		}
	}
	for _, ns := range []string{newA, newB} {
		if len(reads[ns]) > 0 {
			t.Errorf("namespace %s, created by the run, was read in: %v", ns, reads[ns])
		}
	}
	// The control: in the namespace that existed, the ConfigMaps are
	// listed and the Deployment read.
	if want := []string{"/api/v1/namespaces/" + old + "/configmaps", "/apis/apps/v1/namespaces/" + old + "/deployments/web"}; !sameStrings(reads[old], want) {
		t.Errorf("reads in namespace %s, which existed: %v, want %v", old, reads[old], want)
	}

	code, stdout, stderr = kapplyIn(t, kc, in, "apply", "-f", "-")
	if want := fmt.Sprintf("%d objects: 0 created, 0 configured, %d unchanged\n", total, total); code != exitOK || !strings.HasSuffix(stdout, want) {
		t.Fatalf("second apply: exit %d, want %d and a summary %q\n%s\n%s", code, exitOK, want, stdout, stderr)
	}
}

// sameStrings reports whether a and b hold the same strings, in any order.
func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		if count[s]--; count[s] < 0 {
			return false
		}
	}
	return true
}
