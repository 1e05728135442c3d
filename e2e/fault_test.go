//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/bundlegen"
	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// The fault matrix runs every fault type as a subtest on the one shared
// cluster, each with namespaces of its own and the 300-object bundle of
// faultBundle.

// faultBundle is the generated bundle the fault tests apply: 3 Namespaces,
// 74 each of Deployment, Service and Ingress and 75 ConfigMaps (300
// objects), in four stages. The Deployments have no replicas: the
// deployment controller still writes their status while kapply works
// (which must not make a second run report them configured), and the
// shared cluster's node is not filled with pods. Its namespaces are made
// fresh for the test.
func faultBundle(t *testing.T, kc, prefix string) bundlegen.Spec {
	t.Helper()
	spec := bundlegen.Spec{Prefix: prefix, Namespaces: 3, PerKind: 74, ConfigMaps: 75}
	for _, o := range spec.Objects() {
		if o.Kind == "Namespace" {
			testcluster.Fresh(t, kc, testcluster.NamespacesGVR, o.Name)
		}
	}
	return spec
}

var kindGVRs = map[string]schema.GroupVersionResource{
	"Namespace":  testcluster.NamespacesGVR,
	"ConfigMap":  testcluster.ConfigMapsGVR,
	"Service":    testcluster.ServicesGVR,
	"Ingress":    testcluster.IngressesGVR,
	"Deployment": testcluster.DeploymentsGVR,
}

// liveObjects returns which of objs exist, listed with a client that talks
// to the API server directly, not through a fault proxy.
func liveObjects(t *testing.T, kubeconfig string, objs []jsonObject) map[jsonObject]bool {
	t.Helper()
	dyn := testcluster.Dynamic(t, kubeconfig)
	type list struct{ kind, ns string }
	listed := map[list]map[string]bool{}
	live := map[jsonObject]bool{}
	for _, o := range objs {
		k := list{o.Kind, o.Namespace}
		if listed[k] == nil {
			gvr, ok := kindGVRs[o.Kind]
			if !ok {
				t.Fatalf("no resource known for kind %s", o.Kind)
			}
			names := map[string]bool{}
			l, err := dyn.Resource(gvr).Namespace(o.Namespace).List(context.Background(), metav1.ListOptions{})
			if err != nil && !strings.Contains(err.Error(), "not found") {
				t.Fatal(err)
			}
			if err == nil {
				for _, item := range l.Items {
					names[item.GetName()] = true
				}
			}
			listed[k] = names
		}
		live[o] = listed[k][o.Name]
	}
	return live
}

// actionsOf maps each object to its reported action.
func actionsOf(results []jsonResult) map[jsonObject]string {
	out := map[jsonObject]string{}
	for _, r := range results {
		out[r.Object] = r.Action
	}
	return out
}

func allWith(objs []jsonObject, action string) map[jsonObject]string {
	out := map[jsonObject]string{}
	for _, o := range objs {
		out[o] = action
	}
	return out
}

func TestApplyRidesOutTransientFaults(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	rows := []struct {
		name string
		rule faultproxy.Rule
	}{
		{"429 with Retry-After", faultproxy.Rule{Fault: faultproxy.Status, Status: 429, RetryAfter: "1", Rate: 0.1}},
		{"429 without Retry-After", faultproxy.Rule{Fault: faultproxy.Status, Status: 429, Rate: 0.1}},
		{"500", faultproxy.Rule{Fault: faultproxy.Status, Status: 500, Rate: 0.1}},
		{"503", faultproxy.Rule{Fault: faultproxy.Status, Status: 503, Rate: 0.1}},
		{"504", faultproxy.Rule{Fault: faultproxy.Status, Status: 504, Rate: 0.1}},
		{"reset before forwarding", faultproxy.Rule{Fault: faultproxy.Reset, Rate: 0.1}},
		{"response dropped after forwarding", faultproxy.Rule{Fault: faultproxy.Drop, Rate: 0.1}},
		{"latency", faultproxy.Rule{Fault: faultproxy.Latency, Latency: 200e6, Rate: 0.1}},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			prefix := fmt.Sprintf("faults-%d", i)
			spec := faultBundle(t, kc, prefix)
			in, objs := spec.YAML(), objectsOf(spec.Objects())
			// A request is faulted at most twice, well inside the 5
			// attempts of the retry policy: recovery is certain, not a
			// matter of luck (issue 17).
			rule := row.rule
			rule.MaxPerRequest = 2
			pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Seed: uint64(i + 1), Rules: []faultproxy.Rule{rule}})

			code, stdout, stderr := kapplyIn(t, pkc, in, "apply", "-f", "-", "-o", "json")
			if code != exitOK {
				t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
			}
			results, sum := parseJSONResults(t, stdout)
			reported := actionsOf(results)
			if diff := cmp.Diff(allWith(objs, "created"), reported); diff != "" {
				t.Errorf("reported actions (-want +got):\n%s", diff)
			}
			live := liveObjects(t, kc, objs)
			faults := len(proxy.Faults())
			if faults == 0 {
				t.Fatal("no fault was injected: this row tested nothing")
			}
			// Each fault is recovered from by exactly one retry, whichever
			// layer makes it; latency needs none.
			wantRetries := faults
			if row.rule.Fault == faultproxy.Latency {
				wantRetries = 0
			}
			if sum.Retries != wantRetries {
				t.Errorf("%d retries reported, want %d (one per injected fault)", sum.Retries, wantRetries)
			}

			// A clean second run, not through the proxy, changes nothing.
			code, stdout, stderr = kapplyIn(t, kc, in, "apply", "-f", "-", "-o", "json")
			if code != exitOK {
				t.Fatalf("second run: exit %d\n%s", code, stderr)
			}
			again, _ := parseJSONResults(t, stdout)
			if diff := cmp.Diff(allWith(objs, "unchanged"), actionsOf(again)); diff != "" {
				t.Errorf("second run (-want +got):\n%s", diff)
			}
			right := 0
			second := actionsOf(again)
			for _, o := range objs {
				if live[o] && reported[o] == "created" && second[o] == "unchanged" {
					right++
				}
			}
			if right != len(objs) {
				t.Errorf("%d of %d objects right", right, len(objs))
			}
			t.Logf("MATRIX %-34s requests %4d  faults %3d  retries %3d  objects right %d/%d",
				row.name, len(proxy.Requests()), faults, sum.Retries, right, len(objs))
		})
	}
}

func TestApplyReportsFaultsThatDoNotEnd(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	rows := []struct {
		name string
		// rule gets the row's namespace prefix.
		rule func(prefix string) faultproxy.Rule
		// failed says which objects the fault makes fail; objects in a
		// failed namespace are skipped.
		failed func(o jsonObject, prefix string) bool
	}{
		{
			name: "every write to one namespace answered 503",
			rule: func(prefix string) faultproxy.Rule {
				return faultproxy.Rule{Fault: faultproxy.Status, Status: 503, Methods: []string{"PATCH"}, Rate: 1,
					Path: regexp.MustCompile(`/namespaces/` + prefix + `-2(/|$)`)}
			},
			failed: func(o jsonObject, prefix string) bool { return o.Kind == "Namespace" && o.Name == prefix+"-2" },
		},
		{
			name: "every Service write answered 503",
			rule: func(string) faultproxy.Rule {
				return faultproxy.Rule{Fault: faultproxy.Status, Status: 503, Methods: []string{"PATCH"}, Rate: 1, Path: regexp.MustCompile(`/services/`)}
			},
			failed: func(o jsonObject, _ string) bool { return o.Kind == "Service" },
		},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			prefix := fmt.Sprintf("endless-%d", i)
			spec := faultBundle(t, kc, prefix)
			objs := objectsOf(spec.Objects())
			pkc, proxy := faultproxy.Start(t, kc, faultproxy.Config{Seed: 1, Rules: []faultproxy.Rule{row.rule(prefix)}})
			code, stdout, stderr := kapplyIn(t, pkc, spec.YAML(), "apply", "-f", "-", "-o", "json")
			if code != exitFailed {
				t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stderr)
			}
			results, _ := parseJSONResults(t, stdout)
			want := map[jsonObject]string{}
			for _, o := range objs {
				switch {
				case row.failed(o, prefix):
					want[o] = "failed"
				case o.Namespace != "" && row.failed(jsonObject{Kind: "Namespace", Name: o.Namespace}, prefix):
					want[o] = "skipped"
				default:
					want[o] = "created"
				}
			}
			if diff := cmp.Diff(want, actionsOf(results)); diff != "" {
				t.Errorf("reported actions (-want +got):\n%s", diff)
			}
			// The report matches the cluster exactly: what was reported
			// created exists, what failed or was skipped does not.
			live := liveObjects(t, kc, objs)
			mismatches := 0
			for _, r := range results {
				if live[r.Object] != (r.Action == "created") {
					mismatches++
					t.Errorf("%+v reported %s, on the cluster: %v", r.Object, r.Action, live[r.Object])
				}
				if r.Action == "failed" {
					wantErr := "gave up after 5 attempts: fault proxy: 503 Service Unavailable"
					if !strings.Contains(r.Error, wantErr) {
						t.Errorf("%+v: error %q does not say %q", r.Object, r.Error, wantErr)
					}
					// Exactly the policy's 5 attempts reached the proxy.
					path := r.Object.Name
					if r.Object.Kind == "Service" {
						path = "/services/" + r.Object.Name
					}
					if n := countPatches(proxy, r.Object.Namespace, path); n != 5 {
						t.Errorf("%+v: %d PATCH requests, want 5", r.Object, n)
					}
				}
			}
			counts := map[string]int{}
			for _, r := range results {
				counts[r.Action]++
			}
			t.Logf("ENDLESS %-44s requests %4d  faults %3d  %v  report/cluster mismatches %d",
				row.name, len(proxy.Requests()), len(proxy.Faults()), counts, mismatches)
		})
	}
}

// countPatches counts the PATCH requests whose path ends with suffix, in
// namespace ns (or of a cluster-scoped object when ns is empty).
func countPatches(p *faultproxy.Proxy, ns, suffix string) int {
	n := 0
	for _, l := range p.Requests() {
		if l.Method == "PATCH" && strings.HasSuffix(l.Path, suffix) && (ns == "" || strings.Contains(l.Path, "/namespaces/"+ns+"/")) {
			n++
		}
	}
	return n
}
