package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// renderAsKubectl renders dir exactly as `kubectl kustomize` does (its
// build command: kustomize's default options, the order left unspecified)
// and decodes the output as -f would read it from a pipe.
func renderAsKubectl(t *testing.T, dir string) ([]Object, error) {
	t.Helper()
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	m, err := krusty.MakeKustomizer(o).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	y, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return Decode("-", y)
}

// TestKustomizeRendersWhatKubectlKustomizePrints: origin tracking, which -k
// switches on to name each object's file, changes nothing else, including
// where an object had no annotations for a patch to meet.
func TestKustomizeRendersWhatKubectlKustomizePrints(t *testing.T) {
	tests := map[string]string{
		"prefix, generator, patch, replicas":                      "namePrefix: prod-\nresources: [../base]\npatches: [{path: patch.yaml}]\nreplicas: [{name: web, count: 3}]\n",
		"labels and images":                                       "resources: [../base]\nlabels: [{pairs: {env: prod}, includeSelectors: true}]\nimages: [{name: nginx, newName: registry.example/nginx, newTag: \"1.27\"}]\n",
		"json patch adding an annotation to an object with none":  "resources: [../base]\npatches:\n  - target: {kind: Service}\n    patch: |-\n      - op: add\n        path: /metadata/annotations/team\n        value: web\n",
		"json patch replacing annotations":                        "resources: [../base]\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /metadata/annotations\n        value: {a: b}\n",
		"json patch removing annotations":                         "resources: [../base]\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: remove\n        path: /metadata/annotations\n",
		"json patch removing annotations an object does not have": "resources: [../base]\npatches:\n  - target: {kind: Service}\n    patch: |-\n      - op: remove\n        path: /metadata/annotations\n",
		"sort options":                         "resources: [../base]\nsortOptions: {order: fifo}\n",
		"namespace and a user's buildMetadata": "resources: [../base]\nnamespace: prod\nbuildMetadata: [managedByLabel]\n",
	}
	for name, overlay := range tests {
		t.Run(name, func(t *testing.T) {
			root := kustTree(t, overlay)
			t.Chdir(root)
			want, werr := renderAsKubectl(t, "overlay")
			got, gerr := Read(t.Context(), ReadOptions{Kustomize: "overlay"})
			if werr != nil || gerr != nil {
				t.Fatalf("kubectl kustomize error %v, -k error %v", werr, gerr)
			}
			if len(got) != len(want) {
				t.Fatalf("-k gives %d objects, kubectl kustomize %d", len(got), len(want))
			}
			for i := range want {
				if diff := cmp.Diff(want[i].Obj.Object, got[i].Obj.Object); diff != "" {
					t.Errorf("object %d (-kubectl kustomize +-k):\n%s", i, diff)
				}
			}
		})
	}
}
