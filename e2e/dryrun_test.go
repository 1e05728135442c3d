//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// A server-side dry run of a bundle that creates a Namespace or a CRD
// cannot send the objects inside them: the server would say "not found".
// They are reported as they would be created, with a note, and the run
// exits 0 (issue 12, E); apply and create alike. Nothing is stored.
func TestServerDryRunOfANewNamespaceOrCRD(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "dry-run-definitions"
	testcluster.CreateNamespace(t, kc, ns)
	crd := plainCRD("dryrun.e2e.kapply.dev", "Gizmo", "gizmos")
	for _, command := range []string{"apply", "create"} {
		t.Run(command, func(t *testing.T) {
			newNS := "dry-run-new-" + command
			in := bundle(
				"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+newNS+"\n",
				configMap("inside", newNS, map[string]string{"k": "v"}),
				crd,
				"apiVersion: dryrun.e2e.kapply.dev/v1\nkind: Gizmo\nmetadata:\n  name: g\n  namespace: "+ns+"\nspec:\n  size: 3\n",
				configMap("checked", ns, map[string]string{"k": "v"}),
			)
			code, stdout, stderr := kapplyIn(t, kc, in, command, "-f", "-", "--dry-run=server")
			if code != exitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for _, want := range []string{
				"namespace/" + newNS + " created (dry run)\n",
				"configmap/inside -n " + newNS + " created (dry run) (namespace not created yet: the server could not check it)\n",
				"customresourcedefinition.apiextensions.k8s.io/gizmos.dryrun.e2e.kapply.dev created (dry run)\n",
				"gizmo.dryrun.e2e.kapply.dev/g -n " + ns + " created (dry run) (CRD not installed yet: the server could not check it)\n",
				"configmap/checked -n " + ns + " created (dry run)\n",
				"5 objects (dry run): 5 created, 0 configured, 0 unchanged\n",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout)
				}
			}
			code, stdout, stderr = kapplyIn(t, kc, in, command, "-f", "-", "--dry-run=server", "-o", "json")
			if code != exitOK {
				t.Fatalf("-o json: exit %d, want 0\nstderr:\n%s", code, stderr)
			}
			results, _ := parseJSONResults(t, stdout)
			notes := map[string]string{}
			for _, r := range results {
				notes[r.Object.Name] = r.Action + "/" + r.Note
			}
			want := map[string]string{newNS: "created/", "inside": "created/namespace not created yet", "gizmos.dryrun.e2e.kapply.dev": "created/",
				"g": "created/CRD not installed yet", "checked": "created/"}
			if d := cmp.Diff(want, notes); d != "" {
				t.Errorf("actions and notes (-want +got):\n%s", d)
			}
			dyn := testcluster.Dynamic(t, kc)
			if _, err := dyn.Resource(testcluster.NamespacesGVR).Get(context.Background(), newNS, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("namespace %s: %v, want not found", newNS, err)
			}
			if _, err := dyn.Resource(testcluster.CRDsGVR).Get(context.Background(), "gizmos.dryrun.e2e.kapply.dev", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("CRD: %v, want not found", err)
			}
			if configMapExists(t, kc, ns, "checked") {
				t.Error("a dry run created configmap checked")
			}
		})
	}
}
