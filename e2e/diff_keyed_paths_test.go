//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// keyedContainer is a container of podTemplate: name, image and env
// names in order (each value is its name in lower case).
type keyedContainer struct {
	name, image string
	env         []string
}

// podTemplate is a PodTemplate (no controller writes to it, so a diff
// right after an apply sees only the manifest's change) with containers
// in the order given.
func podTemplate(containers ...keyedContainer) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: PodTemplate\nmetadata:\n  name: pt\ntemplate:\n  spec:\n    containers:\n")
	for _, c := range containers {
		b.WriteString("    - name: " + c.name + "\n      image: " + c.image + "\n")
		b.WriteString("      ports:\n      - {containerPort: 53, protocol: UDP}\n      - {containerPort: 53, protocol: TCP}\n")
		if len(c.env) > 0 {
			b.WriteString("      env:\n")
			for _, e := range c.env {
				b.WriteString("      - {name: " + e + ", value: " + strings.ToLower(e) + "}\n")
			}
		}
	}
	return b.String()
}

// TestDiffJSONPathsNameKeyedListItemsByKey checks that -o json names the
// items of keyed lists (containers, env, ports by containerPort and
// protocol, a CRD's list-type map) by their key: a swap or an insertion
// lists what changed, not every item after it; a pure reorder lists the
// list itself.
func TestDiffJSONPathsNameKeyedListItemsByKey(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "diff-keyed"
	testcluster.CreateNamespace(t, kc, ns)
	web := keyedContainer{name: "web", image: "registry.example/web:1", env: []string{"A", "B", "C"}}
	side := keyedContainer{name: "side", image: "registry.example/side:1", env: []string{"X"}}
	applyForDiff(t, kc, podTemplate(web, side), "-n", ns)

	webNewImage, webNewEnv := web, web
	webNewImage.image = "registry.example/web:2"
	webNewEnv.env = []string{"NEW", "A", "B", "C"}
	const containers = "template.spec.containers"
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "containers swapped: the list's order only", in: podTemplate(side, web), want: []string{containers}},
		{
			name: "containers swapped and one image changed",
			in:   podTemplate(side, webNewImage),
			want: []string{containers, containers + "[name=web].image"},
		},
		{name: "an env var inserted first: that item only", in: podTemplate(webNewEnv, side), want: []string{containers + "[name=web].env[name=NEW]"}},
		{
			name: "a port changed: named by containerPort and protocol",
			in:   strings.Replace(podTemplate(web, side), "{containerPort: 53, protocol: TCP}", "{containerPort: 53, protocol: TCP, name: dns-tcp}", 1),
			want: []string{containers + "[name=web].ports[containerPort=53,protocol=TCP].name"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := kapplyIn(t, kc, tc.in, "diff", "-f", "-", "-n", ns, "-o", "json")
			if code != exitDiffers {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitDiffers, stderr)
			}
			diffs, _ := parseDiffJSON(t, stdout)
			if len(diffs) != 1 {
				t.Fatalf("%d diff lines, want 1:\n%s", len(diffs), stdout)
			}
			if d := cmp.Diff(tc.want, diffs[0].Paths); d != "" {
				t.Errorf("paths mismatch (-want +got):\n%s", d)
			}
		})
	}

	t.Run("a CRD's list-type map", func(t *testing.T) {
		const crdName = "routes.keyed.e2e.kapply.dev"
		testcluster.Fresh(t, kc, testcluster.CRDsGVR, crdName)
		crd := specCRD("keyed.e2e.kapply.dev", "Route", "routes", `              rules:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [host, port]
                items:
                  type: object
                  required: [host, port]
                  properties:
                    host: {type: string}
                    port: {type: integer}
                    backend: {type: string}
              hosts:
                type: array
                x-kubernetes-list-type: atomic
                items: {type: string}
`)
		route := func(rules, hosts string) string {
			return "apiVersion: keyed.e2e.kapply.dev/v1\nkind: Route\nmetadata:\n  name: r\nspec:\n  rules:\n" + rules + "  hosts: [" + hosts + "]\n"
		}
		const a, b = "  - {host: a.example, port: 80, backend: one}\n", "  - {host: b.example, port: 443, backend: two}\n"
		applyForDiff(t, kc, bundle(crd, route(a+b, "a.example, b.example")), "-n", ns)
		// The server publishes a new CRD's schema a moment after it is
		// established; until then diff names the items by index.
		waitOpenAPIv3(t, kc, "apis/keyed.e2e.kapply.dev/v1", "x-kubernetes-list-map-keys")
		in := route("  - {host: new.example, port: 80, backend: three}\n"+a+strings.Replace(b, "two", "four", 1), "a.example, c.example")
		code, stdout, stderr := kapplyIn(t, kc, in, "diff", "-f", "-", "-n", ns, "-o", "json")
		if code != exitDiffers {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitDiffers, stderr)
		}
		diffs, _ := parseDiffJSON(t, stdout)
		want := []string{
			"spec.hosts[1]", // atomic: by index
			"spec.rules[host=new.example,port=80]",
			"spec.rules[host=b.example,port=443].backend",
		}
		if len(diffs) != 1 {
			t.Fatalf("%d diff lines, want 1:\n%s", len(diffs), stdout)
		}
		if d := cmp.Diff(want, diffs[0].Paths); d != "" {
			t.Errorf("paths mismatch (-want +got):\n%s", d)
		}
	})
}

// waitOpenAPIv3 waits, at most a minute, until the server's OpenAPI v3
// document at path holds want.
func waitOpenAPIv3(t *testing.T, kc, path, want string) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		dc, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var doc []byte
		paths, err := dc.OpenAPIV3().Paths()
		if gv, ok := paths[path]; ok && err == nil {
			doc, err = gv.Schema("application/json")
		}
		if err == nil && strings.Contains(string(doc), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's OpenAPI v3 document %s does not hold %q after a minute (last error: %v)", path, want, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
