//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// corpusDir holds real-world bundles, byte for byte as published, with
// their sources and licences (INDEX.md).
const corpusDir = "../testdata/corpus"

// liveMetadata reads the live metadata of every object.
func liveMetadata(t *testing.T, kubeconfig string, results []jsonResult) map[jsonObject]*metav1.PartialObjectMetadata {
	t.Helper()
	cfg, err := dynamicx.LoadConfig(dynamicx.ConfigOptions{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := dynamicx.NewClients(cfg, dynamicx.DiscoveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	live := map[jsonObject]*metav1.PartialObjectMetadata{}
	for _, r := range results {
		mapping, err := clients.Mapper.RESTMapping(dynamicx.Ref{Group: r.Object.Group, Kind: r.Object.Kind}.GroupKind())
		if err != nil {
			t.Fatalf("%+v: %v", r.Object, err)
		}
		m, err := clients.Metadata.Resource(mapping.Resource).Namespace(r.Object.Namespace).Get(context.Background(), r.Object.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%+v is not on the cluster: %v", r.Object, err)
		}
		live[r.Object] = m
	}
	return live
}

// onlyStatusMoved reports whether, between two reads of an object, only
// writes to its status subresource happened: the API server's own status
// write of a CRD it is still establishing once a run that did not wait for
// it has ended (issue 19). Every other managedFields entry is the same.
func onlyStatusMoved(before, after *metav1.PartialObjectMetadata) bool {
	rest := func(entries []metav1.ManagedFieldsEntry) []metav1.ManagedFieldsEntry {
		var out []metav1.ManagedFieldsEntry
		for _, e := range entries {
			if e.Subresource != "status" {
				out = append(out, e)
			}
		}
		return out
	}
	return before.Generation == after.Generation && equality.Semantic.DeepEqual(rest(before.ManagedFields), rest(after.ManagedFields))
}

func TestCorpusBundlesApplyInOneRunAndReapplyUnchanged(t *testing.T) {
	tests := []struct {
		name      string
		files     []string
		namespace string // for bundles that name none
		want      int
		crs       bool // custom resources of the bundle's CRDs in it
	}{
		{name: "guestbook", files: []string{"01-guestbook/guestbook-all-in-one.yaml"}, namespace: "guestbook", want: 6},
		{name: "podinfo without its kustomization", files: []string{"02-podinfo/deployment.yaml", "02-podinfo/service.yaml", "02-podinfo/hpa.yaml"}, namespace: "podinfo", want: 3},
		{name: "ingress-nginx", files: []string{"03-ingress-nginx/deploy.yaml"}, want: 19},
		{name: "contour with CRDs and their CRs in one file", files: []string{"04-crds-and-crs/contour-gateway.yaml"}, want: 34, crs: true},
		{name: "cert-manager with 1 MB of CRDs", files: []string{"04-crds-and-crs/cert-manager.yaml"}, want: 49},
		{name: "kind ingress example with Pods", files: []string{"05-ingress/usage.yaml"}, namespace: "ingress-example", want: 5},
		// Large CRDs (one of 1.4 MB) and none of their custom resources:
		// the run does not wait for them, and the re-apply right after
		// may meet the API server still establishing them.
		{name: "argo-cd, no custom resources of its CRDs", files: []string{"../bundles/argo-cd/install.yaml"}, namespace: "argocd", want: 59},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Each bundle gets a fresh cluster: ingress-nginx and
			// cert-manager install cluster-wide webhooks that would block
			// other tests' objects.
			kc := testcluster.New(t)
			args := []string{"apply", "-o", "json"}
			for _, f := range tc.files {
				args = append(args, "-f", filepath.Join(corpusDir, f))
			}
			if tc.namespace != "" {
				testcluster.CreateNamespace(t, kc, tc.namespace)
				args = append(args, "-n", tc.namespace)
			}

			code, stdout, stderr := kapplyIn(t, kc, "", args...)
			if code != exitOK {
				t.Fatalf("first apply: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			results, sum := parseJSONResults(t, stdout)
			if len(results) != tc.want || sum.Total != tc.want || sum.Actions["created"] != tc.want {
				t.Fatalf("first apply: %d results, summary %+v; want %d created", len(results), sum, tc.want)
			}
			// Only the custom resources of the bundle's CRDs wait for
			// them (issue 19).
			if waited := sum.CRDWaitSeconds > 0; waited != tc.crs {
				t.Errorf("first apply: crdWaitSeconds %v; want a CRD wait only for a bundle with custom resources", sum.CRDWaitSeconds)
			}
			before := liveMetadata(t, kc, results)

			code, stdout, stderr = kapplyIn(t, kc, "", args...)
			if code != exitOK {
				t.Fatalf("second apply: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			results, sum = parseJSONResults(t, stdout)
			for _, r := range results {
				if r.Action != "unchanged" {
					t.Errorf("second apply: %+v %s, want unchanged", r.Object, r.Action)
				}
			}
			if sum.Actions["unchanged"] != tc.want {
				t.Errorf("second apply summary %+v, want %d unchanged", sum, tc.want)
			}
			after := liveMetadata(t, kc, results)
			for obj, m := range before {
				if rv := after[obj].ResourceVersion; rv != m.ResourceVersion && !(obj.Kind == "CustomResourceDefinition" && onlyStatusMoved(m, after[obj])) {
					t.Errorf("%+v: resourceVersion %s -> %s on a no-op apply", obj, m.ResourceVersion, rv)
				}
			}
		})
	}
}

func TestKustomizationDirectoryIsRefusedWithAHint(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	code, stdout, stderr := kapplyIn(t, kc, "", "apply", "-f", filepath.Join(corpusDir, "02-podinfo"), "-n", "default")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
	}
	if !strings.Contains(stderr, "kustomization.yaml is a kustomize input") || !strings.Contains(stderr, "give its directory with -k instead of -f (`kapply apply -k ") {
		t.Errorf("stderr does not explain the kustomization and name -k: %s", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing (nothing was applied)", stdout)
	}
	// Nothing written: podinfo's Deployment is not there.
	dyn := testcluster.Dynamic(t, kc)
	if _, err := dyn.Resource(testcluster.DeploymentsGVR).Namespace("default").Get(context.Background(), "podinfo", metav1.GetOptions{}); err == nil {
		t.Error("deployment podinfo was created from a directory that was refused")
	}
}
