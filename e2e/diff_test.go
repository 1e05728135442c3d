//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

var (
	diffServicesGVR   = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	diffNamespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	diffCRDsGVR       = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

func diffDeployment(name string, replicas int, app string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
  selector:
    matchLabels: {app: %[3]s}
  template:
    metadata:
      labels: {app: %[3]s}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`, name, replicas, app)
}

func diffService(name, clusterIP string) string {
	s := "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
	if clusterIP != "" {
		s += "  clusterIP: " + clusterIP + "\n"
	}
	return s
}

// diffSecret is a Secret manifest; data values are given in clear and
// written base64-encoded, as a manifest holds them.
func diffSecret(name string, data, stringData map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n", name)
	for field, m := range map[string]map[string]string{"data": data, "stringData": stringData} {
		if len(m) == 0 {
			continue
		}
		b.WriteString(field + ":\n")
		for k, v := range m {
			if field == "data" {
				v = base64.StdEncoding.EncodeToString([]byte(v))
			}
			fmt.Fprintf(&b, "  %s: %q\n", k, v)
		}
	}
	return b.String()
}

// parseDiffJSON reads `diff -o json`: one line per object, then a summary.
func parseDiffJSON(t *testing.T, stdout string) ([]jsonDiff, jsonSummary) {
	t.Helper()
	var diffs []jsonDiff
	var sum jsonSummary
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for i, line := range lines {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var err error
		if i < len(lines)-1 {
			var d jsonDiff
			if err = dec.Decode(&d); err == nil && d.Schema != DiffSchema {
				err = fmt.Errorf("schema %q", d.Schema)
			}
			diffs = append(diffs, d)
		} else if err = dec.Decode(&sum); err == nil && sum.Schema != SummarySchema {
			err = fmt.Errorf("schema %q", sum.Schema)
		}
		if err != nil {
			t.Fatalf("stdout line %d: %v: %q", i+1, err, line)
		}
	}
	return diffs, sum
}

// diffRecord is the part of a JSON diff line that tests compare exactly.
type diffRecord struct {
	Kind, Name, Action, Note string
	Paths                    []string
}

func diffRecords(diffs []jsonDiff) []diffRecord {
	var out []diffRecord
	for _, d := range diffs {
		out = append(out, diffRecord{Kind: d.Object.Kind, Name: d.Object.Name, Action: d.Action, Note: d.Note, Paths: d.Paths})
	}
	return out
}

func applyForDiff(t *testing.T, kc, in string, args ...string) {
	t.Helper()
	if code, stdout, stderr := kapplyIn(t, kc, in, append([]string{"apply", "-f", "-"}, args...)...); code != exitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestDiffDeployments runs on a cluster of its own, without controllers:
// the deployment controller would otherwise write the revision annotation
// between the GET and the dry run of a diff that follows an apply.
func TestDiffDeployments(t *testing.T) {
	kc := testcluster.New(t)
	ns := "diff-deploy"
	testcluster.CreateNamespace(t, kc, ns)
	base := bundle(diffDeployment("web", 1, "web"), diffService("web", ""), configMap("settings", "", map[string]string{"mode": "demo"}),
		diffSecret("creds", map[string]string{"password": "pw"}, nil))
	applyForDiff(t, kc, base, "-n", ns)

	t.Run("no change", func(t *testing.T) {
		code, stdout, stderr := kapplyIn(t, kc, base, "diff", "-f", "-", "-n", ns)
		if code != exitOK || stdout != "" || stderr != "" {
			t.Fatalf("exit %d, want %d and no output\nstdout:\n%s\nstderr:\n%s", code, exitOK, stdout, stderr)
		}
		code, stdout, stderr = kapplyIn(t, kc, base, "diff", "-f", "-", "-n", ns, "-o", "json")
		if code != exitOK || stderr != "" {
			t.Fatalf("-o json: exit %d\n%s", code, stderr)
		}
		diffs, sum := parseDiffJSON(t, stdout)
		want := []diffRecord{
			{Kind: "Deployment", Name: "web", Action: "unchanged"},
			{Kind: "Service", Name: "web", Action: "unchanged"},
			{Kind: "ConfigMap", Name: "settings", Action: "unchanged"},
			{Kind: "Secret", Name: "creds", Action: "unchanged"},
		}
		if d := cmp.Diff(want, diffRecords(diffs)); d != "" {
			t.Errorf("records mismatch (-want +got):\n%s", d)
		}
		if sum.Total != 4 || !cmp.Equal(sum.Actions, map[string]int{"unchanged": 4}) {
			t.Errorf("summary %+v", sum)
		}
	})

	t.Run("replicas", func(t *testing.T) {
		in := bundle(diffDeployment("web", 3, "web"), diffService("web", ""))
		code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns)
		if code != exitDiffers || stderr != "" {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitDiffers, stderr)
		}
		want := `# deployment.apps/web -n diff-deploy (-#1): update
--- live/deployment.apps/web -n diff-deploy
+++ merged/deployment.apps/web -n diff-deploy
@@ -5,7 +5,7 @@
   namespace: diff-deploy
 spec:
   progressDeadlineSeconds: 600
-  replicas: 1
+  replicas: 3
   revisionHistoryLimit: 10
   selector:
     matchLabels:
`
		if d := cmp.Diff(want, stdout); d != "" {
			t.Errorf("stdout mismatch (-want +got):\n%s", d)
		}
		code, stdout, _ = kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns, "-o", "json")
		diffs, sum := parseDiffJSON(t, stdout)
		wantRecs := []diffRecord{
			{Kind: "Deployment", Name: "web", Action: "update", Paths: []string{"spec.replicas"}},
			{Kind: "Service", Name: "web", Action: "unchanged"},
		}
		if d := cmp.Diff(wantRecs, diffRecords(diffs)); d != "" || code != exitDiffers {
			t.Errorf("-o json: exit %d; records mismatch (-want +got):\n%s", code, d)
		}
		if !cmp.Equal(sum.Actions, map[string]int{"update": 1, "unchanged": 1}) {
			t.Errorf("summary %+v", sum)
		}
	})

	t.Run("immutable selector and clusterIP", func(t *testing.T) {
		live, err := testcluster.Dynamic(t, kc).Resource(diffServicesGVR).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ip, _, _ := unstructured.NestedString(live.Object, "spec", "clusterIP")
		otherIP := ip[:strings.LastIndex(ip, ".")+1] + map[bool]string{true: "10", false: "11"}[strings.HasSuffix(ip, ".11")]
		in := bundle(diffDeployment("web", 1, "web-v2"), diffService("web", otherIP), configMap("settings", "", map[string]string{"mode": "other"}))
		code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns, "-o", "json")
		if code != exitNotDiffable {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitNotDiffable, stderr)
		}
		diffs, _ := parseDiffJSON(t, stdout)
		want := []diffRecord{
			{Kind: "Deployment", Name: "web", Action: "immutable", Paths: []string{"spec.selector.matchLabels.app"}},
			{Kind: "Service", Name: "web", Action: "immutable", Paths: []string{"spec.clusterIP"}},
			{Kind: "ConfigMap", Name: "settings", Action: "update", Paths: []string{"data.mode"}},
		}
		if d := cmp.Diff(want, diffRecords(diffs)); d != "" {
			t.Errorf("records mismatch (-want +got):\n%s", d)
		}
		if stderr != "error: 2 of 3 objects could not be diffed\n" {
			t.Errorf("stderr %q", stderr)
		}

		code, stdout, stderr = kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns)
		wantErr := "error: deployment.apps/web -n diff-deploy (-#1): immutable field(s) would change: spec.selector.matchLabels.app \"web\" -> \"web-v2\" (server: spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web-v2\"}}: field is immutable): apply would be refused (annotate it kapply.dev/replace: on-immutable, or apply with --force-replace, to have it deleted and re-created)\n" +
			"error: service/web -n diff-deploy (-#2): immutable field(s) would change: spec.clusterIP \"" + ip + "\" -> \"" + otherIP + "\" (server: spec.clusterIPs[0]: Invalid value: [\"" + otherIP + "\"]: may not change once set): apply would be refused (annotate it kapply.dev/replace: on-immutable, or apply with --force-replace, to have it deleted and re-created)\n" +
			"error: 2 of 3 objects could not be diffed\n"
		if code != exitNotDiffable || stderr != wantErr {
			t.Errorf("text: exit %d, stderr mismatch (-want +got):\n%s", code, cmp.Diff(wantErr, stderr))
		}
		if !strings.HasPrefix(stdout, "# configmap/settings -n diff-deploy (-#3): update\n") {
			t.Errorf("stdout does not start with the ConfigMap's diff:\n%s", stdout)
		}

		// The prediction holds: apply refuses both.
		code, stdout, _ = kapplyIn(t, kc, in, "apply", "-f", "-", "-n", ns)
		for _, want := range []string{"deployment.apps/web -n diff-deploy failed", "service/web -n diff-deploy failed"} {
			if code != exitFailed || !strings.Contains(stdout, want) {
				t.Errorf("apply: exit %d, want %d and %q:\n%s", code, exitFailed, want, stdout)
			}
		}
	})
}

func TestDiffOutputGolden(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "diff-golden"
	testcluster.CreateNamespace(t, kc, ns)
	applyForDiff(t, kc, bundle(
		configMap("settings", "", map[string]string{"mode": "demo"}),
		diffSecret("creds", nil, map[string]string{"password": "old-password"}),
	), "-n", ns)
	in := bundle(
		configMap("settings", "", map[string]string{"mode": "live"}),
		diffSecret("creds", nil, map[string]string{"password": "new-password"}),
		configMap("extra", "", map[string]string{"k": "v"}),
	)
	code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns)
	if code != exitDiffers || stderr != "" {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitDiffers, stderr)
	}
	goldenOutput(t, "diff-text.golden", stdout)
}

// TestDiffNeverShowsSecretValues looks for a marker, in clear and
// base64-encoded, in everything diff prints about Secrets that change, are
// new, are refused or carry a copy of themselves in an annotation.
func TestDiffNeverShowsSecretValues(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "diff-secret"
	testcluster.CreateNamespace(t, kc, ns)
	const oldMarker, marker = "old-marker-7f3a9c", "new-marker-c41d2e"
	// Live: a Secret that carries a copy of itself, data included, in
	// last-applied-configuration, as kubectl's client-side apply leaves it.
	lastApplied := fmt.Sprintf(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":"%s"},"data":{"password":"%s"}}`,
		ns, base64.StdEncoding.EncodeToString([]byte(oldMarker)))
	applyForDiff(t, kc, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: %q\ndata:\n  password: %s\n",
		lastApplied, base64.StdEncoding.EncodeToString([]byte(oldMarker))), "-n", ns)
	applyForDiff(t, kc, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: frozen\nimmutable: true\nstringData:\n  key: "+oldMarker+"\n", "-n", ns)

	in := bundle(
		diffSecret("creds", map[string]string{"password": marker}, map[string]string{"token": marker}),
		diffSecret("fresh", map[string]string{"password": marker}, map[string]string{"token": marker}),
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: frozen\nimmutable: true\nstringData:\n  key: "+marker+"\n",
		diffSecret("bad-key", nil, map[string]string{"not a valid key!": marker}),
	)
	forbidden := []string{marker, oldMarker}
	for _, m := range []string{marker, oldMarker} {
		forbidden = append(forbidden, base64.StdEncoding.EncodeToString([]byte(m)), base64.RawStdEncoding.EncodeToString([]byte(m)))
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns, "-o", format)
			if code != exitNotDiffable {
				t.Errorf("exit %d, want %d", code, exitNotDiffable)
			}
			for _, f := range forbidden {
				if strings.Contains(stdout+stderr, f) {
					t.Errorf("the output shows %q\nstdout:\n%s\nstderr:\n%s", f, stdout, stderr)
				}
			}
			if format == "text" {
				for _, want := range []string{
					"-  password: '***'\n+  password: '*** (changed)'\n+  token: '*** (new)'\n",
					"-  annotations:\n-    kubectl.kubernetes.io/last-applied-configuration: '***'\n",
					"+  password: '*** (new)'\n+  token: '*** (new)'\n",
				} {
					if !strings.Contains(stdout, want) {
						t.Errorf("stdout does not contain %q:\n%s", want, stdout)
					}
				}
				return
			}
			diffs, _ := parseDiffJSON(t, stdout)
			want := []diffRecord{
				{Kind: "Secret", Name: "creds", Action: "update", Paths: []string{"data.password", "data.token", "metadata.annotations"}},
				{Kind: "Secret", Name: "fresh", Action: "create"},
				{Kind: "Secret", Name: "frozen", Action: "immutable", Paths: []string{"data.key"}},
				{Kind: "Secret", Name: "bad-key", Action: "error"},
			}
			if d := cmp.Diff(want, diffRecords(diffs)); d != "" {
				t.Errorf("records mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestDiffShowsObjectsOfANewNamespaceOrCRDAsWritten(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns, newNS := "diff-definitions", "diff-definitions-new"
	testcluster.CreateNamespace(t, kc, ns)
	crd := plainCRD("diff.e2e.kapply.dev", "Gadget", "gadgets")
	in := bundle(
		"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+newNS+"\n",
		configMap("inside", newNS, map[string]string{"k": "v"}),
		crd,
		"apiVersion: diff.e2e.kapply.dev/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: "+ns+"\nspec:\n  size: 3\n",
	)
	code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-o", "json")
	if code != exitDiffers || stderr != "" {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitDiffers, stderr)
	}
	diffs, _ := parseDiffJSON(t, stdout)
	want := []diffRecord{
		{Kind: "Namespace", Name: newNS, Action: "create"},
		{Kind: "ConfigMap", Name: "inside", Action: "create", Note: "namespace not created yet"},
		{Kind: "CustomResourceDefinition", Name: "gadgets.diff.e2e.kapply.dev", Action: "create"},
		{Kind: "Gadget", Name: "g", Action: "create", Note: "CRD not installed yet"},
	}
	if d := cmp.Diff(want, diffRecords(diffs)); d != "" {
		t.Errorf("records mismatch (-want +got):\n%s", d)
	}
	wantGadget := `--- live/gadget.diff.e2e.kapply.dev/g -n diff-definitions
+++ merged/gadget.diff.e2e.kapply.dev/g -n diff-definitions
@@ -0,0 +1,7 @@
+apiVersion: diff.e2e.kapply.dev/v1
+kind: Gadget
+metadata:
+  name: g
+  namespace: diff-definitions
+spec:
+  size: 3
`
	if len(diffs) == 4 && diffs[3].Diff != wantGadget {
		t.Errorf("gadget diff mismatch (-want +got):\n%s", cmp.Diff(wantGadget, diffs[3].Diff))
	}
	// A diff writes nothing.
	dyn := testcluster.Dynamic(t, kc)
	if _, err := dyn.Resource(diffNamespacesGVR).Get(context.Background(), newNS, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s: %v, want not found", newNS, err)
	}
	if _, err := dyn.Resource(diffCRDsGVR).Get(context.Background(), "gadgets.diff.e2e.kapply.dev", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("CRD: %v, want not found", err)
	}
}

func TestDiffInvalidInputIsAUsageError(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	code, stdout, stderr := kapplyIn(t, kc, "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n", "diff", "-f", "-", "-n", "default")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, `unknown kind "Widget"`) {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
	}
}
