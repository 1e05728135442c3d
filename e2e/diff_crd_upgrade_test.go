//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// upgradeCRD is a CRD whose spec declares the given string fields.
func upgradeCRD(fields ...string) string {
	var props strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&props, "                %s: {type: string}\n", f)
	}
	return specCRD("upgrade.e2e.kapply.dev", "Widget", "widgets", props.String())
}

// TestDiffCRDUpgradeInTheSameBundle: a bundle that adds a field to a CRD
// and sets it in a custom resource (issue 20 item 1). A dry run against the
// CRD the server holds refuses the new field (exit 4) while apply takes
// both; diff shows the resource as it will be applied, with a note.
func TestDiffCRDUpgradeInTheSameBundle(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "diff-crd-upgrade"
	testcluster.CreateNamespace(t, kc, ns)
	t.Cleanup(func() {
		_, _ = kubectlIn(t, kc, "", "delete", "crd", "widgets.upgrade.e2e.kapply.dev", "--ignore-not-found")
	})
	widget := func(spec string) string {
		return "apiVersion: upgrade.e2e.kapply.dev/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: " + ns + "\nspec:\n" + spec
	}
	applyForDiff(t, kc, bundle(upgradeCRD("color"), widget("  color: red\n")))

	v2 := bundle(upgradeCRD("color", "shape"), widget("  color: red\n  shape: round\n"))
	code, stdout, stderr := kapplyIn(t, kc, v2, "diff", "-f", "-", "-o", "json")
	if code != exitDiffers || stderr != "" {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitDiffers, stdout, stderr)
	}
	diffs, _ := parseDiffJSON(t, stdout)
	want := []diffRecord{
		{Kind: "CustomResourceDefinition", Name: "widgets.upgrade.e2e.kapply.dev", Action: "update",
			Paths: []string{"spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.shape"}},
		{Kind: "Widget", Name: "w1", Action: "update", Note: "CRD changes in this bundle: manifest merged over the live object, not a server dry run",
			Paths: []string{"spec.shape"}},
	}
	if d := cmp.Diff(want, diffRecords(diffs)); d != "" {
		t.Errorf("records mismatch (-want +got):\n%s", d)
	}
	wantWidget := `--- live/widget.upgrade.e2e.kapply.dev/w1 -n diff-crd-upgrade
+++ merged/widget.upgrade.e2e.kapply.dev/w1 -n diff-crd-upgrade
@@ -5,3 +5,4 @@
   namespace: diff-crd-upgrade
 spec:
   color: red
+  shape: round
`
	if len(diffs) == 2 && diffs[1].Diff != wantWidget {
		t.Errorf("widget diff mismatch (-want +got):\n%s", cmp.Diff(wantWidget, diffs[1].Diff))
	}
	// apply agrees: both change, and a diff after it finds nothing.
	results := applyJSON(t, kc, v2, "apply", "-f", "-")
	if actions, _ := byName(results); !cmp.Equal(actions, map[string]string{
		"CustomResourceDefinition/widgets.upgrade.e2e.kapply.dev": "configured", "Widget/w1": "configured"}) {
		t.Errorf("apply: %v", actions)
	}
	if code, stdout, stderr := kapplyIn(t, kc, v2, "diff", "-f", "-"); code != exitOK {
		t.Errorf("diff after apply: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
