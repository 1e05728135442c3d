//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// crdTemplate is a namespaced CRD of one version, v1; replace GROUP,
// KIND and PLURAL. STATUS is the status subresource or nothing, SCHEMA
// its openAPIV3Schema.
const crdTemplate = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: PLURAL.GROUP
spec:
  group: GROUP
  names: {kind: KIND, plural: PLURAL}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
STATUS    schema:
      openAPIV3Schema: SCHEMA
`

// anyFields is the schema of a CRD whose objects take any fields.
const anyFields = "{type: object, x-kubernetes-preserve-unknown-fields: true}"

// crdOf is the YAML of such a CRD whose objects take any fields, with a
// status subresource: its custom
// resources are ready once a controller writes their status.
func crdOf(group, kind, plural string) string {
	return strings.NewReplacer("GROUP", group, "KIND", kind, "PLURAL", plural, "STATUS", "    subresources: {status: {}}\n", "SCHEMA", anyFields).Replace(crdTemplate)
}

// plainCRD is the YAML of such a CRD whose objects take any fields,
// without a status subresource: its custom resources are ready once they
// exist.
func plainCRD(group, kind, plural string) string {
	return strings.NewReplacer("GROUP", group, "KIND", kind, "PLURAL", plural, "STATUS", "", "SCHEMA", anyFields).Replace(crdTemplate)
}

// specCRD is the YAML of such a CRD without a status subresource, whose spec has exactly the given properties:
// specProperties is YAML indented by 14 spaces (the level of spec's
// properties).
func specCRD(group, kind, plural, specProperties string) string {
	schema := "\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n" + strings.TrimSuffix(specProperties, "\n")
	return strings.NewReplacer("GROUP", group, "KIND", kind, "PLURAL", plural, "STATUS", "", "SCHEMA", schema).Replace(crdTemplate)
}

// widgetGroupOfThisRun is a CRD group and a namespace for one test, both
// named uniquely per run (prefix and a clock suffix); the CRD
// widgets.GROUP is deleted when the test ends.
func widgetGroupOfThisRun(t *testing.T, kc, prefix string) (group, ns string) {
	t.Helper()
	dyn := testcluster.Dynamic(t, kc)
	suffix := time.Now().UnixNano() % 1_000_000_000
	group = fmt.Sprintf("%s%d.kapply.dev", prefix, suffix)
	t.Cleanup(func() {
		_ = dyn.Resource(testcluster.CRDsGVR).Delete(context.Background(), "widgets."+group, metav1.DeleteOptions{})
	})
	ns = fmt.Sprintf("crd-%s-%d", prefix, suffix)
	testcluster.CreateNamespace(t, kc, ns)
	return group, ns
}
