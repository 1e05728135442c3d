package manifests

import (
	"github.com/kapply-dev/kapply/internal/testfiles"

	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// overlay1k writes a base of 1,000 Deployments in 10 files and an overlay
// over it (namePrefix, labels, an image, a patch of all of them), and
// returns the overlay's directory.
func overlay1k(b *testing.B) string {
	root := b.TempDir()
	files := map[string]string{
		"base/kustomization.yaml": "resources:\n",
		"overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: prod-\nlabels:\n  - pairs: {env: prod}\n" +
			"images:\n  - {name: registry.example.com/app, newTag: \"2.0\"}\n" +
			"patches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 3\n",
	}
	for f := range 10 {
		var sb strings.Builder
		for i := f * 100; i < (f+1)*100; i++ {
			fmt.Fprintf(&sb, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n  labels: {app: app-%d}\nspec:\n  replicas: 2\n"+
				"  selector:\n    matchLabels: {app: app-%d}\n  template:\n    metadata:\n      labels: {app: app-%d}\n    spec:\n"+
				"      containers:\n      - name: main\n        image: registry.example.com/app:1.0\n        ports: [{containerPort: 8080}]\n", i, i, i, i)
		}
		name := fmt.Sprintf("apps-%d.yaml", f)
		files["base/"+name] = sb.String()
		files["base/kustomization.yaml"] += "  - " + name + "\n"
	}
	testfiles.Write(b, root, files)
	return filepath.Join(root, "overlay")
}

// BenchmarkKustomize1k is -k on a 1,000-object overlay: render with origin
// tracking, trace every object to its file#doc, decode.
func BenchmarkKustomize1k(b *testing.B) {
	dir := overlay1k(b)
	b.ReportAllocs()
	for b.Loop() {
		objs, err := Read(b.Context(), ReadOptions{Kustomize: dir})
		if err != nil || len(objs) != 1000 {
			b.Fatalf("got %d objects, error %v", len(objs), err)
		}
	}
}

// BenchmarkKustomizePipe1k is the in-process part of `kubectl kustomize |
// kapply apply -f -` on the same overlay: kubectl's render, then -f's
// decode of its output (without the two processes and the pipe).
func BenchmarkKustomizePipe1k(b *testing.B) {
	dir := overlay1k(b)
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	b.ReportAllocs()
	for b.Loop() {
		m, err := krusty.MakeKustomizer(o).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			b.Fatal(err)
		}
		y, err := m.AsYaml()
		if err != nil {
			b.Fatal(err)
		}
		objs, err := Decode("-", y)
		if err != nil || len(objs) != 1000 {
			b.Fatalf("got %d objects, error %v", len(objs), err)
		}
	}
}
