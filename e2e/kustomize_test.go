//go:build e2e

package e2e

import (
	"github.com/kapply-dev/kapply/internal/testfiles"

	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/testcluster"
	"github.com/kapply-dev/kapply/manifests"
)

// podinfoDir is the corpus's podinfo directory, a kustomization as
// published.
const podinfoDir = "../testdata/corpus/02-podinfo"

// The base and overlay of the -k tests: every transformation the issue
// lists (namePrefix, labels, a configMapGenerator, a strategic merge patch,
// a JSON 6902 patch, images, replicas).
var kustomizeTree = map[string]string{
	"base/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - app.yaml
configMapGenerator:
  - name: web-config
    literals:
      - GREETING=hello
`,
	"base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example/web:1.0
          envFrom:
            - configMapRef: {name: web-config}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
`,
	"overlay/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base
namePrefix: prod-
labels:
  - pairs: {env: prod}
    includeTemplates: true
configMapGenerator:
  - name: extra
    literals: [MODE=fast]
patches:
  - path: resources.yaml
  - target: {kind: Service, name: web}
    patch: |-
      - op: add
        path: /spec/sessionAffinity
        value: ClientIP
images:
  - name: registry.example/web
    newTag: "2.0"
replicas:
  - name: web
    count: 3
`,
	"overlay/resources.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          resources:
            limits: {cpu: 100m, memory: 64Mi}
`,
}

// devKubectl runs the devcluster's kubectl (1.37) against kc.
func devKubectl(t *testing.T, kc, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testcluster.DevclusterBin(t), append([]string{"kubectl", "--kubeconfig", kc}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// liveObject reads one object of a result and drops what the server sets
// for itself (identity, timestamps, managers, status, assigned IPs), so
// that objects applied by two clients into twin namespaces compare equal.
func liveObject(t *testing.T, kc string, o jsonObject) map[string]any {
	t.Helper()
	gvr := map[string]schema.GroupVersionResource{
		"Deployment":              testcluster.DeploymentsGVR,
		"Service":                 {Version: "v1", Resource: "services"},
		"ConfigMap":               testcluster.ConfigMapsGVR,
		"HorizontalPodAutoscaler": {Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
	}[o.Kind]
	if gvr.Resource == "" {
		t.Fatalf("no resource for %+v", o)
	}
	u, err := testcluster.Dynamic(t, kc).Resource(gvr).Namespace(o.Namespace).Get(context.Background(), o.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%+v: %v", o, err)
	}
	for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "namespace"} {
		unstructured.RemoveNestedField(u.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(u.Object, "metadata", "annotations", "deployment.kubernetes.io/revision")
	if len(u.GetAnnotations()) == 0 {
		unstructured.RemoveNestedField(u.Object, "metadata", "annotations")
	}
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "spec", "clusterIP")
	unstructured.RemoveNestedField(u.Object, "spec", "clusterIPs")
	return u.Object
}

// applyJSON runs kapply with -o json and wants exit 0.
func applyJSON(t *testing.T, kc, stdin string, args ...string) []jsonResult {
	t.Helper()
	code, stdout, stderr := kapplyIn(t, kc, stdin, append(args, "-o", "json")...)
	if code != exitOK {
		t.Fatalf("kapply %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	results, _ := parseJSONResults(t, stdout)
	return results
}

// byName gives the results' objects as kind/name -> action, and the
// objects themselves.
func byName(results []jsonResult) (map[string]string, []jsonObject) {
	actions := map[string]string{}
	var objs []jsonObject
	for _, r := range results {
		actions[r.Object.Kind+"/"+r.Object.Name] = r.Action
		objs = append(objs, r.Object)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Kind+objs[i].Name < objs[j].Kind+objs[j].Name })
	return actions, objs
}

func TestKustomizePodinfoCorpusDirectory(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "kustomize-podinfo"
	testcluster.CreateNamespace(t, kc, ns)
	results := applyJSON(t, kc, "", "apply", "-k", podinfoDir, "-n", ns)
	got := map[string]string{}
	for _, r := range results {
		got[r.Object.Kind+"/"+r.Object.Name] = r.Action + " " + filepath.Base(r.Source.Path) + "#" + strconv.Itoa(r.Source.Doc)
		if r.Source.Line != 1 {
			t.Errorf("%+v: source line %d, want 1", r.Object, r.Source.Line)
		}
	}
	want := map[string]string{
		"Deployment/podinfo":              "created deployment.yaml#1",
		"Service/podinfo":                 "created service.yaml#1",
		"HorizontalPodAutoscaler/podinfo": "created hpa.yaml#1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apply -k (-want +got):\n%s", diff)
	}
	for _, r := range applyJSON(t, kc, "", "apply", "-k", podinfoDir, "-n", ns) {
		if r.Action != "unchanged" {
			t.Errorf("second apply -k: %+v %s, want unchanged", r.Object, r.Action)
		}
	}
	if code, stdout, stderr := kapplyIn(t, kc, "", "diff", "-k", podinfoDir, "-n", ns); code != exitOK {
		t.Errorf("diff -k after apply: exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := kapplyIn(t, kc, "", "wait", "-k", podinfoDir, "-n", ns, "--timeout", "2m"); code != exitOK {
		t.Errorf("wait -k: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := kapplyIn(t, kc, "", "status", "-k", podinfoDir, "-n", ns); code != exitOK || !strings.Contains(stdout, "podinfo") {
		t.Errorf("status -k: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := kapplyIn(t, kc, "", "create", "-k", podinfoDir, "-n", ns); code != exitFailed || strings.Count(stdout, "already exists") != 3 {
		t.Errorf("create -k on existing objects: exit %d, want %d and 3 already exists\n%s\n%s", code, exitFailed, stdout, stderr)
	}
	if code, stdout, stderr := kapplyIn(t, kc, "", "delete", "-k", podinfoDir, "-n", ns, "--wait", "--timeout", "2m"); code != exitOK || !strings.Contains(stdout, "3 deleted") {
		t.Errorf("delete -k: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestKustomizeOverlayMatchesKubectl checks -k against kubectl three ways:
// the objects read equal kubectl kustomize's output decoded by -f, the
// cluster objects equal those of `kubectl kustomize | kapply apply -f -`,
// and those of `kubectl apply -k --server-side`, each in a twin namespace.
func TestKustomizeOverlayMatchesKubectl(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	overlay := filepath.Join(testfiles.Tree(t, kustomizeTree), "overlay")
	rendered := devKubectl(t, kc, "", "kustomize", overlay)

	piped, err := manifests.Decode("-", []byte(rendered))
	if err != nil {
		t.Fatalf("kubectl kustomize output: %v", err)
	}
	direct, err := manifests.Read(context.Background(), manifests.ReadOptions{Kustomize: overlay})
	if err != nil {
		t.Fatalf("-k: %v", err)
	}
	if len(direct) != len(piped) || len(direct) != 4 {
		t.Fatalf("-k gives %d objects, kubectl kustomize %d; want 4 each", len(direct), len(piped))
	}
	for i := range direct {
		if diff := cmp.Diff(piped[i].Obj.Object, direct[i].Obj.Object); diff != "" {
			t.Errorf("object %d: -k differs from kubectl kustomize (-kubectl +kapply):\n%s", i, diff)
		}
	}

	nsK, nsF, nsKubectl := "kustomize-k", "kustomize-f", "kustomize-kubectl"
	for _, ns := range []string{nsK, nsF, nsKubectl} {
		testcluster.CreateNamespace(t, kc, ns)
	}
	resK := applyJSON(t, kc, "", "apply", "-k", overlay, "-n", nsK)
	resF := applyJSON(t, kc, rendered, "apply", "-f", "-", "-n", nsF)
	devKubectl(t, kc, "", "apply", "-k", overlay, "--server-side", "-n", nsKubectl)

	actK, objsK := byName(resK)
	actF, _ := byName(resF)
	if diff := cmp.Diff(actF, actK); diff != "" {
		t.Errorf("results of -k and of kubectl kustomize | -f - (-f +k):\n%s", diff)
	}
	for _, o := range objsK {
		live := liveObject(t, kc, o)
		twinF, twinKubectl := o, o
		twinF.Namespace, twinKubectl.Namespace = nsF, nsKubectl
		if diff := cmp.Diff(liveObject(t, kc, twinF), live); diff != "" {
			t.Errorf("%s/%s: -k and kubectl kustomize | kapply -f - differ (-f +k):\n%s", o.Kind, o.Name, diff)
		}
		if diff := cmp.Diff(liveObject(t, kc, twinKubectl), live); diff != "" {
			t.Errorf("%s/%s: -k and kubectl apply -k --server-side differ (-kubectl +kapply):\n%s", o.Kind, o.Name, diff)
		}
	}
	// The transformations did happen: a wrong render on both sides would
	// otherwise pass.
	dep := liveObject(t, kc, jsonObject{Group: "apps", Kind: "Deployment", Namespace: nsK, Name: "prod-web"})
	replicas, _, _ := unstructured.NestedInt64(dep, "spec", "replicas")
	containers, _, _ := unstructured.NestedSlice(dep, "spec", "template", "spec", "containers")
	labels, _, _ := unstructured.NestedStringMap(dep, "metadata", "labels")
	if replicas != 3 || len(containers) != 1 || containers[0].(map[string]any)["image"] != "registry.example/web:2.0" || labels["env"] != "prod" {
		t.Errorf("prod-web: replicas %d, containers %v, labels %v; want 3, image registry.example/web:2.0, env=prod", replicas, containers, labels)
	}
	if _, ok, _ := unstructured.NestedMap(containers[0].(map[string]any), "resources", "limits"); !ok {
		t.Errorf("prod-web: the strategic merge patch's limits are missing: %v", containers[0])
	}
	svc := liveObject(t, kc, jsonObject{Kind: "Service", Namespace: nsK, Name: "prod-web"})
	if aff, _, _ := unstructured.NestedString(svc, "spec", "sessionAffinity"); aff != "ClientIP" {
		t.Errorf("prod-web Service: sessionAffinity %q, want ClientIP (the JSON 6902 patch)", aff)
	}
	for _, r := range resK {
		if !strings.HasPrefix(r.Object.Name, "prod-") || r.Source.Doc == 0 || r.Source.Line == 0 {
			t.Errorf("%+v from %+v: want a prod- name and an original file#doc:line", r.Object, r.Source)
		}
	}
}
