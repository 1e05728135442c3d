//go:build e2e

package e2e

import "strings"

// crdTemplate is a namespaced CRD of one version, v1, whose objects take
// any fields; replace GROUP, KIND and PLURAL. STATUS is the status
// subresource or nothing.
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
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// crdOf is the YAML of such a CRD with a status subresource: its custom
// resources are ready once a controller writes their status.
func crdOf(group, kind, plural string) string {
	return strings.NewReplacer("GROUP", group, "KIND", kind, "PLURAL", plural, "STATUS", "    subresources: {status: {}}\n").Replace(crdTemplate)
}

// plainCRD is the YAML of such a CRD without a status subresource: its
// custom resources are ready once they exist.
func plainCRD(group, kind, plural string) string {
	return strings.NewReplacer("GROUP", group, "KIND", kind, "PLURAL", plural, "STATUS", "").Replace(crdTemplate)
}

// specCRD is the YAML of a namespaced CRD of one version, v1, without a
// status subresource, whose spec has exactly the given properties:
// specProperties is YAML indented by 14 spaces (the level of spec's
// properties).
func specCRD(group, kind, plural, specProperties string) string {
	return strings.NewReplacer("GROUP", group, "KIND", kind, "PLURAL", plural).Replace(`apiVersion: apiextensions.k8s.io/v1
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
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
`) + specProperties
}
