//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// corpusDir holds real-world bundles, byte for byte as published, with
// their sources and licences (INDEX.md).
const corpusDir = "../testdata/corpus"

// resourceVersions reads the live resourceVersion of every object.
func resourceVersions(t *testing.T, kubeconfig string, results []jsonResult) map[jsonObject]string {
	t.Helper()
	cfg, err := dynamicx.LoadConfig(dynamicx.ConfigOptions{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := dynamicx.NewClients(cfg, dynamicx.DiscoveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rvs := map[jsonObject]string{}
	for _, r := range results {
		mapping, err := clients.Mapper.RESTMapping(dynamicx.Ref{Group: r.Object.Group, Kind: r.Object.Kind}.GroupKind())
		if err != nil {
			t.Fatalf("%+v: %v", r.Object, err)
		}
		m, err := clients.Metadata.Resource(mapping.Resource).Namespace(r.Object.Namespace).Get(context.Background(), r.Object.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%+v is not on the cluster: %v", r.Object, err)
		}
		rvs[r.Object] = m.ResourceVersion
	}
	return rvs
}

func TestCorpusBundlesApplyInOneRunAndReapplyUnchanged(t *testing.T) {
	tests := []struct {
		name      string
		files     []string
		namespace string // for bundles that name none
		want      int
	}{
		{name: "guestbook", files: []string{"01-guestbook/guestbook-all-in-one.yaml"}, namespace: "guestbook", want: 6},
		{name: "podinfo without its kustomization", files: []string{"02-podinfo/deployment.yaml", "02-podinfo/service.yaml", "02-podinfo/hpa.yaml"}, namespace: "podinfo", want: 3},
		{name: "ingress-nginx", files: []string{"03-ingress-nginx/deploy.yaml"}, want: 19},
		{name: "contour with CRDs and their CRs in one file", files: []string{"04-crds-and-crs/contour-gateway.yaml"}, want: 34},
		{name: "cert-manager with 1 MB of CRDs", files: []string{"04-crds-and-crs/cert-manager.yaml"}, want: 49},
		{name: "kind ingress example with Pods", files: []string{"05-ingress/usage.yaml"}, namespace: "ingress-example", want: 5},
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
			before := resourceVersions(t, kc, results)

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
			after := resourceVersions(t, kc, results)
			for obj, rv := range before {
				if after[obj] != rv {
					t.Errorf("%+v: resourceVersion %s -> %s on a no-op apply", obj, rv, after[obj])
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
