package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateErrors(t *testing.T) {
	const genName = "metadata.generateName is not supported: apply must be idempotent, and generateName makes the server create a new object on every run; set metadata.name instead"
	tests := []struct {
		name  string
		path  string
		input string
		want  string
	}{
		{
			name:  "apiVersion missing",
			input: "# c\nkind: ConfigMap\nmetadata:\n  name: a\n",
			want:  "f.yaml#1:2:1: apiVersion is required",
		},
		{
			name:  "apiVersion null",
			input: "apiVersion:\nkind: ConfigMap\nmetadata:\n  name: a\n",
			want:  "f.yaml#1:1:1: apiVersion is required",
		},
		{
			name:  "apiVersion not a string",
			input: "kind: ConfigMap\napiVersion: 1\nmetadata:\n  name: a\n",
			want:  "f.yaml#1:2:1: apiVersion must be a string, not a number",
		},
		{
			name:  "apiVersion empty",
			input: "apiVersion: ''\nkind: ConfigMap\nmetadata:\n  name: a\n",
			want:  "f.yaml#1:1:1: apiVersion must not be empty",
		},
		{
			name:  "apiVersion malformed",
			input: "apiVersion: a/b/c\nkind: ConfigMap\nmetadata:\n  name: a\n",
			want:  "f.yaml#1:1:1: apiVersion must be VERSION or GROUP/VERSION",
		},
		{
			name:  "kind missing",
			input: "---\napiVersion: v1\nmetadata:\n  name: a\n",
			want:  "f.yaml#1:2:1: kind is required",
		},
		{
			name:  "kind not a string",
			input: "apiVersion: v1\nkind: [ConfigMap]\nmetadata:\n  name: a\n",
			want:  "f.yaml#1:2:1: kind must be a string, not a sequence",
		},
		{
			name:  "metadata missing",
			input: "apiVersion: v1\nkind: ConfigMap\n",
			want:  "f.yaml#1:1:1: metadata.name is required",
		},
		{
			name:  "metadata not a mapping",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata: a\n",
			want:  "f.yaml#1:3:1: metadata must be a mapping, not a string",
		},
		{
			name:  "name missing",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n",
			want:  "f.yaml#1:3:1: metadata.name is required",
		},
		{
			name:  "name not a string",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 12\n",
			want:  "f.yaml#1:4:3: metadata.name must be a string, not a number",
		},
		{
			name:  "name empty",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"\"\n",
			want:  "f.yaml#1:4:3: metadata.name must not be empty",
		},
		{
			name:  "namespace that YAML reads as a boolean",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: no\n",
			want:  "f.yaml#1:5:3: metadata.namespace must be a string, not a boolean (quote it: unquoted y, n, yes, no, on, off, true and false are booleans)",
		},
		{
			name:  "namespace not a string",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: {}\n",
			want:  "f.yaml#1:5:3: metadata.namespace must be a string, not a mapping",
		},
		{
			name:  "generateName",
			input: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n",
			want:  "f.yaml#1:4:3: " + genName,
		},
		{
			name:  "generateName with a name",
			input: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  generateName: migrate-\n",
			want:  "f.yaml#1:5:3: " + genName,
		},
		{
			name:  "everything missing",
			input: "spec: {}\n",
			want: "f.yaml#1:1:1: apiVersion is required\n" +
				"f.yaml#1:1:1: kind is required\n" +
				"f.yaml#1:1:1: metadata.name is required",
		},
		{
			name:  "Kustomization",
			path:  "base/kustomization.yaml",
			input: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
			want:  "base/kustomization.yaml#1:2:1: kustomization.yaml is a kustomize input, not a Kubernetes object: give its directory with -k instead of -f (`kapply apply -k base`)",
		},
		{
			name:  "Kustomization in another file",
			path:  "all.yaml",
			input: cm("a") + "---\nkind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\n",
			want:  "all.yaml#2:6:1: a Kustomization is a kustomize input, not a Kubernetes object: give its directory with -k instead of -f (`kapply apply -k .`)",
		},
		{
			name:  "legacy kustomization without apiVersion and kind",
			path:  "overlays/prod/kustomization.yml",
			input: "resources:\n- ../../base\n",
			want:  "overlays/prod/kustomization.yml#1:1:1: kustomization.yml is a kustomize input, not a Kubernetes object: give its directory with -k instead of -f (`kapply apply -k overlays/prod`)",
		},
		{
			name:  "Kustomization from standard input",
			path:  "-",
			input: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
			want:  "-#1:2:1: a Kustomization is a kustomize input, not a Kubernetes object: give its directory with -k instead of -f (`kapply apply -k DIR`)",
		},
		{
			name:  "same object twice",
			input: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n---\napiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  namespace: prod\n  name: web\n",
			want:  "f.yaml#2:11:3: duplicate object Deployment.apps prod/web: also defined at f.yaml#1:1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "f.yaml"
			}
			_, err := Decode(path, []byte(tc.input))
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotDuplicates(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{"other namespace", cm("a") + "  namespace: x\n---\n" + cm("a") + "  namespace: z\n"},
		{"other group", "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n" + cm("a")},
		{"other kind", cm("a") + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n"},
		{"other name", cm("a") + "---\n" + cm("b")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Decode("f.yaml", []byte(tc.input))
			if err != nil || len(objs) != 2 {
				t.Fatalf("got %d objects, error %v; want 2 objects", len(objs), err)
			}
		})
	}
}

func TestObjectKey(t *testing.T) {
	objs, err := Decode("f.yaml", []byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: admin\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []ObjectKey
	var texts []string
	for _, o := range objs {
		keys = append(keys, o.Key())
		texts = append(texts, o.Key().String())
	}
	wantKeys := []ObjectKey{
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "admin"},
		{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"},
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	wantTexts := []string{"ClusterRole.rbac.authorization.k8s.io admin", "Deployment.apps prod/web"}
	if diff := cmp.Diff(wantTexts, texts); diff != "" {
		t.Errorf("key strings (-want +got):\n%s", diff)
	}
}
