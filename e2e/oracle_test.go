//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// The scenario table of issue 12 I: kubectl as the oracle. Each scenario
// runs on twin namespaces, once with the bundled kubectl and once with
// kapply, and the final objects must match; each step's outcome (success
// or failure) must match too. A difference is allowed only where the
// scenario names the entry of README's "Differences from kubectl" that
// explains it, and then it must be there.

// oracleMode picks the commands the twins run for an apply step.
type oracleMode string

const (
	oracleApply  oracleMode = "apply"  // kubectl apply --server-side / kapply apply
	oracleUpdate oracleMode = "update" // kubectl apply / kapply apply --mode=update
	oracleCreate oracleMode = "create" // kubectl create / kapply create
)

// oracleStep is one step of a scenario, run on both twins.
type oracleStep struct {
	// manifest is applied by the tool under test; {{NS}} stands for the
	// twin's namespace. manifestFn, when set, makes it from the cluster
	// (a manifest exported with kubectl get -o yaml).
	manifest   string
	manifestFn func(t *testing.T, kc, ns string) string
	// args are added to both tools' command lines ({{NS}} replaced).
	args []string
	// files, when set, are written to a directory of the twin's own
	// ({{DIR}} in args) and the step reads them instead of stdin: args
	// then carry the -f flags, as a shell would expand a glob.
	files map[string]string
	// setup, when set, replaces the apply: the same action on both twins,
	// as another actor would take it (kubectl client-side apply, an HPA).
	setup func(t *testing.T, kc, ns string)
	// differs names the README entry that explains why kubectl and kapply
	// end this step differently (one succeeds, the other fails).
	differs string
}

// oracleRef names an object compared at the end ({{NS}} replaced in
// name).
type oracleRef struct {
	gvr           schema.GroupVersionResource
	name          string
	clusterScoped bool
}

type oracleScenario struct {
	name    string
	mode    oracleMode
	steps   []oracleStep
	objects []oracleRef
	// differs names the README entry that explains why the final objects
	// differ.
	differs string
}

// oracleEnv is what the scenarios share: the cluster, the README and a
// discovery cache per tool (kubectl's and kapply's layouts are the same,
// each tool keeps its own so neither warms the other's).
type oracleEnv struct {
	kc, readme                string
	kubectlCache, kapplyCache string
}

func runOracleScenario(t *testing.T, env oracleEnv, id int, sc oracleScenario) {
	kc, readme := env.kc, env.readme
	twins := []struct{ tool, ns string }{
		{"kubectl", fmt.Sprintf("oracle-%02d-kubectl", id)},
		{"kapply", fmt.Sprintf("oracle-%02d-kapply", id)},
	}
	for _, tw := range twins {
		testcluster.CreateNamespace(t, kc, tw.ns)
		// The CRD scenarios' CRD is cluster-scoped: delete what an earlier
		// run left, or the next run reads it as unchanged (issue 17, item 8).
		testcluster.Fresh(t, kc, testcluster.CRDsGVR, "widgets."+tw.ns+".oracle.dev")
	}
	for _, d := range []string{sc.differs} {
		checkDocumented(t, readme, d)
	}
	for i, st := range sc.steps {
		checkDocumented(t, readme, st.differs)
		var ok [2]bool
		var out [2]string
		for j, tw := range twins {
			ok[j], out[j] = runOracleStep(t, env, tw.tool, tw.ns, sc.mode, st)
		}
		t.Logf("step %d: kubectl ok: %v, kapply ok: %v\nkubectl: %skapply: %s", i+1, ok[0], ok[1], out[0], out[1])
		switch {
		case ok[0] != ok[1] && st.differs == "":
			t.Errorf("step %d: kubectl succeeded: %v, kapply succeeded: %v\nkubectl: %s\nkapply: %s", i+1, ok[0], ok[1], out[0], out[1])
		case ok[0] == ok[1] && st.differs != "":
			t.Errorf("step %d: both succeeded: %v, but the README says they differ (%q)\nkubectl: %s\nkapply: %s", i+1, ok[0], st.differs, out[0], out[1])
		}
	}
	var objs [2][]any
	for j, tw := range twins {
		for _, ref := range sc.objects {
			objs[j] = append(objs[j], oracleObject(t, kc, tw.ns, ref))
		}
	}
	diff := cmp.Diff(objs[0], objs[1])
	switch {
	case diff != "" && sc.differs == "":
		t.Errorf("final objects differ (-kubectl +kapply):\n%s", diff)
	case diff == "" && sc.differs != "":
		t.Errorf("final objects are the same, but the README says they differ (%q)", sc.differs)
	}
}

// runOracleStep runs one step on one twin and reports whether it
// succeeded, with its output.
func runOracleStep(t *testing.T, env oracleEnv, tool, ns string, mode oracleMode, st oracleStep) (bool, string) {
	t.Helper()
	kc := env.kc
	if st.setup != nil {
		st.setup(t, kc, ns)
		return true, ""
	}
	manifest := st.manifest
	if st.manifestFn != nil {
		manifest = st.manifestFn(t, kc, ns)
	}
	manifest = strings.ReplaceAll(manifest, "{{NS}}", ns)
	dir := t.TempDir()
	input := []string{"-f", "-"}
	for name, content := range st.files {
		input = nil
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(content, "{{NS}}", ns)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var args []string
	for _, a := range st.args {
		args = append(args, strings.NewReplacer("{{NS}}", ns, "{{DIR}}", dir).Replace(a))
	}
	if tool == "kubectl" {
		cmd := map[oracleMode][]string{oracleApply: {"apply", "--server-side"}, oracleUpdate: {"apply"}, oracleCreate: {"create"}}[mode]
		full := append([]string{"kubectl", "--kubeconfig", kc, "--cache-dir", env.kubectlCache}, append(append(cmd, input...), args...)...)
		c := exec.Command(testcluster.DevclusterBin(t), full...)
		c.Stdin = strings.NewReader(manifest)
		out, err := c.CombinedOutput()
		return err == nil, string(out)
	}
	cmd := map[oracleMode][]string{oracleApply: {"apply"}, oracleUpdate: {"apply", "--mode=update"}, oracleCreate: {"create"}}[mode]
	code, stdout, stderr := kapplyProc(t, kc, env.kapplyCache, manifest, append(append(cmd, input...), args...)...)
	return code == exitOK, stdout + stderr
}

// oracleObject reads an object of a twin, or nil when there is none,
// without what differs between twins by nature: identity, timestamps,
// managedFields, status, each tool's own annotation, what the server
// assigns (a Service's cluster IPs, uids in a Job's selector) and what
// controllers write at their own pace (a Deployment's revision).
func oracleObject(t *testing.T, kc, ns string, ref oracleRef) any {
	t.Helper()
	name := strings.ReplaceAll(ref.name, "{{NS}}", ns)
	ri := testcluster.Dynamic(t, kc).Resource(ref.gvr)
	var obj *unstructured.Unstructured
	var err error
	if ref.clusterScoped {
		obj, err = ri.Get(context.Background(), name, metav1.GetOptions{})
	} else {
		obj, err = ri.Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return fmt.Sprintf("%s %s: absent", ref.gvr.Resource, ref.name)
	}
	if err != nil {
		t.Fatalf("get %s %s: %v", ref.gvr.Resource, name, err)
	}
	uid := string(obj.GetUID())
	o := obj.Object
	delete(o, "status")
	md, _ := o["metadata"].(map[string]any)
	for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "namespace"} {
		delete(md, k)
	}
	if a, ok := md["annotations"].(map[string]any); ok {
		delete(a, "kubectl.kubernetes.io/last-applied-configuration")
		delete(a, "deployment.kubernetes.io/revision")
		if len(a) == 0 {
			delete(md, "annotations")
		}
	}
	if obj.GetKind() == "Service" {
		unstructured.RemoveNestedField(o, "spec", "clusterIP")
		unstructured.RemoveNestedField(o, "spec", "clusterIPs")
	}
	return replaceStrings(o, strings.NewReplacer(uid, "<uid>", ns, "<ns>"))
}

func replaceStrings(v any, r *strings.Replacer) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[r.Replace(k)] = replaceStrings(e, r)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = replaceStrings(e, r)
		}
		return out
	case string:
		return r.Replace(x)
	}
	return v
}

// checkDocumented fails the test unless README's "Differences from
// kubectl" section holds entry.
func checkDocumented(t *testing.T, readme, entry string) {
	t.Helper()
	if entry == "" {
		return
	}
	_, section, ok := strings.Cut(readme, "\n## Differences from kubectl\n")
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	if !ok || !strings.Contains(section, entry) {
		t.Errorf("README's \"Differences from kubectl\" does not explain %q", entry)
	}
}

// readREADME reads the repository's README, found from the working
// directory up to go.mod.
func readREADME(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
