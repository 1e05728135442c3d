package manifests

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// corpusDir is the real-world corpus, copied into the repository with its
// sources and licences (testdata/corpus/INDEX.md).
const corpusDir = "../testdata/corpus"

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatalf("corpus file missing: %v", err)
	}
	return data
}

// The counts are those of testdata/corpus/INDEX.md.
var corpusCounts = []struct {
	file  string
	count int
	kinds map[string]int
}{
	{"01-guestbook/guestbook-all-in-one.yaml", 6, map[string]int{"Deployment": 3, "Service": 3}},
	{"02-podinfo/deployment.yaml", 1, map[string]int{"Deployment": 1}},
	{"02-podinfo/service.yaml", 1, map[string]int{"Service": 1}},
	{"02-podinfo/hpa.yaml", 1, map[string]int{"HorizontalPodAutoscaler": 1}},
	{"03-ingress-nginx/deploy.yaml", 19, map[string]int{"ClusterRole": 2, "ClusterRoleBinding": 2, "ConfigMap": 1, "Deployment": 1, "IngressClass": 1, "Job": 2, "Namespace": 1, "Role": 2, "RoleBinding": 2, "Service": 2, "ServiceAccount": 2, "ValidatingWebhookConfiguration": 1}},
	{"04-crds-and-crs/contour-gateway.yaml", 34, map[string]int{"CustomResourceDefinition": 16, "GatewayClass": 1, "Gateway": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "ConfigMap": 1, "DaemonSet": 1, "Deployment": 1, "Job": 1, "Namespace": 1, "Role": 2, "RoleBinding": 2, "Service": 2, "ServiceAccount": 3}},
	{"04-crds-and-crs/cert-manager.yaml", 49, map[string]int{"ClusterRole": 13, "ClusterRoleBinding": 10, "CustomResourceDefinition": 6, "Deployment": 3, "MutatingWebhookConfiguration": 1, "Namespace": 1, "Role": 4, "RoleBinding": 4, "Service": 3, "ServiceAccount": 3, "ValidatingWebhookConfiguration": 1}},
	{"04-crds-and-crs/cluster-issuer.yaml", 1, map[string]int{"ClusterIssuer": 1}},
	{"05-ingress/usage.yaml", 5, map[string]int{"Ingress": 1, "Service": 2, "Pod": 2}},
}

func TestCorpusCounts(t *testing.T) {
	for _, tc := range corpusCounts {
		t.Run(tc.file, func(t *testing.T) {
			objs, err := Decode(tc.file, readCorpus(t, tc.file))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.Obj.GetKind()]++
			}
			if len(objs) != tc.count {
				t.Errorf("got %d objects, want %d", len(objs), tc.count)
			}
			if diff := cmp.Diff(tc.kinds, kinds); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCorpusSameAsKubectl checks that every corpus object is exactly what
// kubectl's decoding path (apimachinery's YAMLOrJSONDecoder, then the
// unstructured JSON scheme) makes of it: same values, same types.
func TestCorpusSameAsKubectl(t *testing.T) {
	for _, tc := range corpusCounts {
		t.Run(tc.file, func(t *testing.T) {
			data := readCorpus(t, tc.file)
			objs, err := Decode(tc.file, data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := decodeLikeKubectl(t, data)
			if len(want) != len(objs) {
				t.Fatalf("kubectl path gives %d objects, Decode %d", len(want), len(objs))
			}
			for i := range objs {
				if diff := cmp.Diff(want[i].Object, objs[i].Obj.Object); diff != "" {
					t.Errorf("object %d (%s) differs (-kubectl +kapply):\n%s", i, objs[i].Source, diff)
				}
			}
		})
	}
}

func decodeLikeKubectl(t testing.TB, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var ext runtime.RawExtension
		if err := d.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("apimachinery decoder: %v", err)
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
		if err != nil {
			t.Fatalf("unstructured scheme: %v", err)
		}
		out = append(out, obj.(*unstructured.Unstructured))
	}
}

func TestCorpusPodinfoDirIsKustomization(t *testing.T) {
	dir := filepath.Join(corpusDir, "02-podinfo")
	_, err := Read(t.Context(), ReadOptions{Paths: []string{dir}})
	want := dir + "/kustomization.yaml#1:2:1: kustomization.yaml is a kustomize input, not a Kubernetes object: give its directory with -k instead of -f (`kapply apply -k " + dir + "`)"
	if err == nil || err.Error() != want {
		t.Fatalf("got error %v\nwant %s", err, want)
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("want only the kustomization error, got %v", err)
	}
}
