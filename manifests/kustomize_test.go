package manifests

import (
	"github.com/kapply-dev/kapply/internal/testfiles"

	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const kustBaseApp = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {note: kept}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          envFrom: [{configMapRef: {name: web-config}}]
`

func kustTree(t *testing.T, overlay string) string {
	return testfiles.Tree(t, map[string]string{
		"base/kustomization.yaml":    "resources:\n  - app.yaml\nconfigMapGenerator:\n  - name: other\n    literals: [A=1]\n  - name: web-config\n    literals: [GREETING=hello]\n",
		"base/app.yaml":              kustBaseApp,
		"overlay/kustomization.yaml": overlay,
		"overlay/patch.yaml":         "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
	})
}

func TestKustomizeSourcesAndNoOriginAnnotation(t *testing.T) {
	root := kustTree(t, "namePrefix: prod-\nresources: [../base]\npatches: [{path: patch.yaml}]\nbuildMetadata: [originAnnotations]\n")
	t.Chdir(root)
	objs, err := Read(t.Context(), ReadOptions{Kustomize: "overlay"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range objs {
		got[o.Obj.GetKind()+"/"+o.Obj.GetName()] = o.Source.String() + ":" + strconv.Itoa(o.Source.Line)
		if _, ok := o.Obj.GetAnnotations()["config.kubernetes.io/origin"]; ok {
			t.Errorf("%s keeps kustomize's origin annotation", o.Obj.GetName())
		}
	}
	want := map[string]string{
		"Service/prod-web":                     "base/app.yaml#1:1",
		"Deployment/prod-web":                  "base/app.yaml#2:9",
		"ConfigMap/prod-other-89g4tffbfk":      "base/kustomization.yaml#1:4",
		"ConfigMap/prod-web-config-f655md8fbd": "base/kustomization.yaml#1:6",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	for _, o := range objs {
		if o.Obj.GetKind() == "Deployment" {
			if r, _, _ := unstructured.NestedInt64(o.Obj.Object, "spec", "replicas"); r != 2 {
				t.Errorf("replicas %d, want 2 (the patch)", r)
			}
			if o.Obj.GetAnnotations()["note"] != "kept" {
				t.Errorf("annotations %v, want note: kept", o.Obj.GetAnnotations())
			}
		}
	}
}

func TestKustomizeErrorsNameFileAndEntry(t *testing.T) {
	tests := []struct {
		name    string
		overlay string
		extra   map[string]string
		want    string
	}{
		{name: "missing resource", overlay: "resources:\n  - ../base\n  - missing.yaml\n",
			want: `overlay/kustomization.yaml#1:3:5: resources[1] "missing.yaml": no such file or directory`},
		{name: "unknown field", overlay: "resources: [../base]\nnamePrefx: x-\n",
			want: `overlay/kustomization.yaml#1:2:1: unknown field "namePrefx" in a kustomization`},
		{name: "unknown nested field", overlay: "resources: [../base]\nimages:\n  - name: nginx\n    newTagg: x\n",
			want: `overlay/kustomization.yaml#1:4:5: unknown field "newTagg"`},
		{name: "bad patch target", overlay: "resources: [../base]\npatches:\n  - path: nope.yaml\n",
			extra: map[string]string{"overlay/nope.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nope\nspec: {replicas: 1}\n"},
			want:  `overlay/kustomization.yaml#1:3:11: patches[0].path: the patch's target Deployment nope is not among the kustomization's resources`},
		{name: "remote base over https", overlay: "resources:\n  - https://github.com/org/repo//app?ref=v1\n",
			want: `overlay/kustomization.yaml#1:2:5: resources[0] "https://github.com/org/repo//app?ref=v1": remote bases and files are not supported: kapply does not fetch anything`},
		{name: "remote base over git", overlay: "resources:\n  - ../base\ncomponents:\n  - git@github.com:org/repo.git//comp\n",
			want: `overlay/kustomization.yaml#1:4:5: components[0] "git@github.com:org/repo.git//comp": remote bases and files are not supported`},
		{name: "remote base without scheme", overlay: "resources:\n  - github.com/org/repo/app?ref=v1\n",
			want: `resources[0] "github.com/org/repo/app?ref=v1": remote bases and files are not supported`},
		{name: "remote patch file", overlay: "resources: [../base]\npatches:\n  - path: https://example.com/p.yaml\n",
			want: `overlay/kustomization.yaml#1:3:11: patches[0].path "https://example.com/p.yaml": remote bases and files are not supported`},
		{name: "helm chart", overlay: "resources: [../base]\nhelmCharts:\n  - name: web\n    repo: https://charts.example.com\n",
			want: "overlay/kustomization.yaml#1:2:1: helmCharts: Helm chart inflation is not supported: kapply does not run programs (helm) to render"},
		{name: "helm generator file", overlay: "resources: [../base]\ngenerators: [helm.yaml]\n",
			extra: map[string]string{"overlay/helm.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: x}\nname: web\n"},
			want:  `overlay/kustomization.yaml#1:2:14: generators[0] "helm.yaml": Helm chart inflation is not supported`},
		{name: "file outside the kustomization", overlay: "resources:\n  - ../base/app.yaml\n",
			want: `overlay/kustomization.yaml#1:2:5: resources[0] "../base/app.yaml": the file is outside the kustomization's directory`},
		{name: "error in a base names the base", overlay: "resources: [../broken]\n",
			extra: map[string]string{"broken/kustomization.yaml": "resources: [../base]\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: ghost}\n"},
			want:  `broken/kustomization.yaml#1:3:12: patches[0].patch: the patch's target Deployment ghost is not among the kustomization's resources`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := kustTree(t, tc.overlay)
			testfiles.Write(t, root, tc.extra)
			t.Chdir(root)
			objs, err := Read(t.Context(), ReadOptions{Kustomize: "overlay"})
			if err == nil {
				t.Fatalf("no error, %d objects; want %s", len(objs), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
			if objs != nil {
				t.Errorf("%d objects with the error, want none", len(objs))
			}
		})
	}
}

func TestKustomizeDirectoryProblems(t *testing.T) {
	root := testfiles.Tree(t, map[string]string{"plain/a.yaml": "kind: ConfigMap\n"})
	t.Chdir(root)
	tests := []struct{ dir, want string }{
		{"plain", "plain: no kustomization.yaml, kustomization.yml or Kustomization in this directory"},
		{"plain/a.yaml", "plain/a.yaml: -k takes a directory with a kustomization.yaml, not a file"},
		{"nowhere", "nowhere: no such file or directory"},
		{"https://github.com/org/repo//app?ref=v1", "https://github.com/org/repo//app?ref=v1: remote kustomizations are not supported: kapply does not fetch anything (no HTTP, no git) to render; clone it and give its local directory"},
	}
	for _, tc := range tests {
		_, err := Read(t.Context(), ReadOptions{Kustomize: tc.dir})
		if err == nil || err.Error() != tc.want {
			t.Errorf("-k %s: error %v, want %s", tc.dir, err, tc.want)
		}
	}
}
