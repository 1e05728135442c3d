//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

type immutableLine struct {
	Object    jsonObject     `json:"object"`
	Action    string         `json:"action"`
	Paths     []string       `json:"paths"`
	Error     string         `json:"error"`
	Immutable *jsonImmutable `json:"immutable"`
}

// immutableField is what a test expects of one refused object.
type immutableField struct {
	Kind, Path, ServerField, Old, New string
}

func immutableFieldsOf(t *testing.T, stdout string) (got []immutableField, server map[string]string) {
	t.Helper()
	server = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var l immutableLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		if l.Immutable == nil {
			continue
		}
		for _, f := range l.Immutable.Fields {
			got = append(got, immutableField{Kind: l.Object.Kind, Path: f.Path, ServerField: f.ServerField, Old: f.Old, New: f.New})
		}
		server[l.Object.Kind] = l.Immutable.Server
	}
	return got, server
}

// TestImmutableFieldReportsKeepTheServersDetail changes an immutable field
// of a Service (clusterIP), a Pod (an env value changed, another dropped), a Job (its template) and
// an immutable Secret (its data), and checks that diff and apply, in text
// and JSON, name the field as the manifest writes it, its old and new
// values (a Secret's masked) and the server's message on one line.
func TestImmutableFieldReportsKeepTheServersDetail(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "immutable-detail"
	testcluster.CreateNamespace(t, kc, ns)
	const oldSecret, newSecret = "old-secret-5d1e08", "new-secret-93c4aa"
	pod := func(v string, withZ bool) string {
		p := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: registry.example/app:1\n" +
			"    env:\n    - name: X\n      value: \"" + v + "\"\n"
		if withZ {
			p += "    - name: Z\n      value: z\n"
		}
		return p
	}
	job := func(arg string) string {
		return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n" +
			"      containers:\n      - name: c\n        image: registry.example/job:1\n        args: [\"" + arg + "\"]\n"
	}
	secret := func(v string) string {
		return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nimmutable: true\nstringData:\n  password: " + v + "\n"
	}
	applyForDiff(t, kc, bundle(diffService("web", ""), pod("1", true), job("one"), secret(oldSecret)), "-n", ns)

	live, err := testcluster.Dynamic(t, kc).Resource(diffServicesGVR).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ip, _, _ := unstructured.NestedString(live.Object, "spec", "clusterIP")
	otherIP := ip[:strings.LastIndex(ip, ".")+1] + map[bool]string{true: "10", false: "11"}[strings.HasSuffix(ip, ".11")]
	in := bundle(diffService("web", otherIP), pod("2", false), job("two"), secret(newSecret))

	want := []immutableField{
		{Kind: "Service", Path: "spec.clusterIP", ServerField: "spec.clusterIPs[0]", Old: `"` + ip + `"`, New: `"` + otherIP + `"`},
		{Kind: "Pod", Path: "spec.containers[name=app].env[name=X].value", ServerField: "spec", Old: `"1"`, New: `"2"`},
		// Dropped from the manifest: the server would remove it.
		{Kind: "Pod", Path: "spec.containers[name=app].env[name=Z]", ServerField: "spec", Old: `{"name":"Z","value":"z"}`},
		{Kind: "Job", Path: "spec.template.spec.containers[name=c].args[0]", ServerField: "spec.template", Old: `"one"`, New: `"two"`},
		{Kind: "Secret", Path: "data.password", ServerField: "data", Old: `"***"`, New: `"*** (changed)"`},
	}
	wantServer := map[string]string{
		"Service": `spec.clusterIPs[0]: Invalid value: ["` + otherIP + `"]: may not change once set`,
		"Pod":     "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`",
		"Job":     "spec.template: Invalid value: …: field is immutable",
		"Secret":  "data: Forbidden: field is immutable when `immutable` is set",
	}
	forbidden := []string{oldSecret, newSecret}
	for _, s := range []string{oldSecret, newSecret} {
		forbidden = append(forbidden, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s)))
	}
	// The text reports, one line per object, as diff and apply word them.
	wantText := map[string]string{
		"diff":  "error: service/web -n " + ns + " (-#1): immutable field(s) would change: spec.clusterIP \"" + ip + "\" -> \"" + otherIP + "\" (server: " + wantServer["Service"] + "): apply would be refused",
		"apply": "service/web -n " + ns + " failed: -#1: the server refused the change: spec.clusterIP \"" + ip + "\" -> \"" + otherIP + "\" (server: " + wantServer["Service"] + ") (annotate it",
	}
	for _, cmd := range []string{"diff", "apply"} {
		wantCode := map[string]int{"diff": exitNotDiffable, "apply": exitFailed}[cmd]
		for _, format := range []string{"json", "text"} {
			t.Run(cmd+" "+format, func(t *testing.T) {
				code, stdout, stderr := kapplyIn(t, kc, in, cmd, "-f", "-", "-n", ns, "-o", format)
				if code != wantCode {
					t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, stdout, stderr)
				}
				for _, f := range forbidden {
					if strings.Contains(stdout+stderr, f) {
						t.Errorf("the output shows the Secret's value %q\nstdout:\n%s\nstderr:\n%s", f, stdout, stderr)
					}
				}
				if format == "text" {
					if !strings.Contains(stdout+stderr, wantText[cmd]) {
						t.Errorf("output does not contain\n%s\nstdout:\n%s\nstderr:\n%s", wantText[cmd], stdout, stderr)
					}
					if !strings.Contains(stdout+stderr, `spec.containers[name=app].env[name=X].value "1" -> "2", spec.containers[name=app].env[name=Z] {"name":"Z","value":"z"} -> (unset) (server: `+wantServer["Pod"]) {
						t.Errorf("the Pod's env change is not named with its values:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
					}
					return
				}
				got, server := immutableFieldsOf(t, stdout)
				byKind := cmpopts.SortSlices(func(a, b immutableField) bool { return a.Kind < b.Kind }) // apply writes Secrets first
				if d := cmp.Diff(want, got, byKind); d != "" {
					t.Errorf("immutable fields mismatch (-want +got):\n%s", d)
				}
				for kind, w := range wantServer {
					if !strings.HasPrefix(server[kind], w) || strings.Contains(server[kind], "\n") {
						t.Errorf("%s: server message %q, want one line starting with %q", kind, server[kind], w)
					}
				}
			})
		}
	}
}
