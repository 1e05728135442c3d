//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/faultproxy"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// Every kind of bad input, end to end through the CLI and a recording proxy
// in front of the API server: exit 2, an error naming the file, document
// and line, and not one request that writes reaches the server. Each input
// also holds a valid object, which must not be written either.
func TestBadInputWritesNothing(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "bad-input"
	testcluster.CreateNamespace(t, kc, ns)
	valid := configMap("valid", "", map[string]string{"k": "v"})
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a: &a [x,x,x,x,x,x,x,x,x]\n" +
		"  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n" +
		"  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	// write writes content to name in dir and returns its path.
	write := func(t *testing.T, dir, name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	noName := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n"
	tests := []struct {
		name string
		// content of bundle.yaml, given with -f; "" when input builds
		// the command line's input instead
		content string
		// input writes files and returns the input arguments and the
		// path that FILE stands for
		input func(t *testing.T, dir string) (args []string, file string)
		args  []string
		// want is a regexp the error must match; FILE stands for the
		// input's path.
		want string
	}{
		{name: "malformed YAML", content: bundle(valid, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n"), want: `FILE#2:12:1: invalid YAML`},
		{name: "duplicate keys", content: bundle(valid, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"), want: `FILE#2:12:3: duplicate key "name" \(first at line 11\)`},
		{name: "missing kind", content: bundle(valid, "apiVersion: v1\nmetadata:\n  name: a\n"), want: `FILE#2:8:1: kind is required`},
		{name: "missing name", content: bundle(valid, noName), want: `FILE#2:10:1: metadata.name is required`},
		{name: "generateName", content: bundle(valid, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: x-\n"), want: `FILE#2:11:3: metadata.generateName is not supported`},
		{name: "duplicate objects", content: bundle(valid, valid), want: `FILE#2:11:3: duplicate object ConfigMap valid: also defined at FILE#1:1$`},
		{name: "unknown kind", content: bundle(valid, "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"), want: `FILE#2:8: widget.example.com/w: unknown kind "Widget"`},
		{name: "namespace mismatch", content: bundle(valid, configMap("elsewhere", "other", nil)), args: []string{"-n", ns}, want: `FILE#2:8: configmap/elsewhere: namespace mismatch`},
		{name: "cluster-scoped with a namespace", content: bundle(valid, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: x\n"), want: `FILE#2:8: clusterrole.rbac.authorization.k8s.io/r: cluster-scoped object with a namespace`},
		{name: "oversize document", content: bundle(valid, configMap("big", "", map[string]string{"blob": strings.Repeat("x", 3<<20+1)})), want: `FILE#2:8:1: document is 3145799 bytes, over the limit of 3145728 \(3 MiB\) for one Kubernetes API request$`},
		{name: "alias bomb", content: bundle(valid, bomb), want: `FILE#2:18:10: aliases expand to more than 100000 values`},
		{name: "merge key overriding an explicit key (issue 18)", content: bundle(valid, configMap("m", "", nil)+"  q: a\n  <<: {q: b}\n"), want: `FILE#2:\d+:3: merge key << comes after the key "q" \(line \d+\) and sets it too`},
		{name: "document kubectl would drop (issue 18)", content: bundle(valid, strings.ReplaceAll(configMap("c", "", nil)+"---\n"+configMap("d", "", nil), "\n", "\r")), want: `FILE#2:\d+:1: this "---" follows a CR, NEL, LS or PS line break`},
		{name: "items on a kind not named List (issue 18)", content: bundle(valid, configMap("i", "", nil)+"items: []\n"), want: `FILE#2:\d+:1: a top-level items field on kind ConfigMap`},
		{name: "binary file", content: valid + "\x00\x01\x02", want: `FILE#1:7:1: not a text file \(NUL byte\)$`},
		{name: "symlink out of the root", input: func(t *testing.T, dir string) ([]string, string) {
			root := filepath.Join(dir, "root")
			if err := os.MkdirAll(root, 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, root, "a.yaml", valid)
			write(t, dir, "outside.yaml", configMap("outside", "", nil))
			if err := os.Symlink("../outside.yaml", filepath.Join(root, "b.yaml")); err != nil {
				t.Fatal(err)
			}
			return []string{"-f", root}, root
		}, want: `FILE/b.yaml: symbolic link leads outside FILE \(to `},
		{name: "two inputs: the second bad", input: func(t *testing.T, dir string) ([]string, string) {
			good, bad := write(t, dir, "good.yaml", valid), write(t, dir, "bad.yaml", noName)
			return []string{"-f", good, "-f", bad}, bad
		}, want: `FILE#1:3:1: metadata.name is required`},
		{name: "two inputs: the first bad", input: func(t *testing.T, dir string) ([]string, string) {
			bad, good := write(t, dir, "bad.yaml", bundle(configMap("other", "", nil), noName)), write(t, dir, "good.yaml", valid)
			return []string{"-f", bad, "-f", good}, bad
		}, want: `FILE#2:9:1: metadata.name is required`},
		{name: "a stray argument after -f", input: func(t *testing.T, dir string) ([]string, string) {
			good := write(t, dir, "good.yaml", valid)
			return []string{"-f", good, filepath.Join(dir, "stray.yaml")}, filepath.Join(dir, "stray.yaml")
		}, want: `^error: unexpected arguments "FILE" "-n" "bad-input" .*: kapply apply reads manifests only through -f; .*; flags after the first unexpected argument are not read either, so nothing was done\n$`},
		{name: "a stray argument before -f", input: func(t *testing.T, dir string) ([]string, string) {
			good := write(t, dir, "good.yaml", valid)
			return []string{"stray", "-f", good}, good
		}, want: `^error: unexpected arguments "stray" "-f" "FILE" "-n" "bad-input" .*: kapply apply reads manifests only through -f; `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var input []string
			var file string
			if tc.input != nil {
				input, file = tc.input(t, dir)
			} else {
				file = write(t, dir, "bundle.yaml", tc.content)
				input = []string{"-f", file}
			}
			proxied, proxy := faultproxy.Start(t, kc, faultproxy.Config{})
			args := append(append([]string{"apply"}, input...), tc.args...)
			if len(tc.args) == 0 {
				args = append(args, "-n", ns)
			}
			code, stdout, stderr := kapplyIn(t, proxied, "", args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			re := regexp.MustCompile("(?m)" + strings.ReplaceAll(tc.want, "FILE", regexp.QuoteMeta(file)))
			if !re.MatchString(stderr) {
				t.Errorf("stderr does not match %s:\n%s", re, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			for _, w := range proxy.Writes() {
				t.Errorf("a write reached the server: %s %s", w.Method, w.Path)
			}
			if configMapExists(t, kc, ns, "valid") {
				t.Error("the valid object of a refused input was written")
			}
			// The proxy does see kapply's requests: an allowed read of
			// the same valid object, through it, is logged. So "no
			// write reached the server" above means something.
			before := len(proxy.Requests())
			if code, stdout, stderr := kapplyIn(t, proxied, valid, "status", "-f", "-", "-n", ns); code != exitFailed || !strings.Contains(stdout, "not found") {
				t.Fatalf("status through the proxy: exit %d, want %d (not found)\n%s\n%s", code, exitFailed, stdout, stderr)
			}
			read := false
			for _, l := range proxy.Requests()[before:] {
				read = read || (l.Method == "GET" && strings.Contains(l.Path, "/namespaces/"+ns+"/configmaps") && l.Forwarded)
			}
			if !read {
				t.Errorf("the proxy logged no read of the ConfigMaps of %s by kapply status", ns)
			}
		})
	}
}
