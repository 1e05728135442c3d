package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// Diff masks, in place, what must not be shown of two versions of an
// object of kind gk (see Diffable for the versions) and returns their
// unified diff as YAML, from "live/REF" to "merged/REF". from is nil for
// a new object.
func Diff(gk schema.GroupKind, ref string, from, to map[string]any) (string, error) {
	a, b, err := MaskedYAML(gk, from, to)
	if err != nil {
		return "", err
	}
	return unifiedDiff("live/"+ref, "merged/"+ref, a, b)
}

// MaskedYAML masks, in place, what must not be shown of two versions of
// an object of kind gk and returns them as YAML, for a diff program of
// the user's. from is nil for a new object; its YAML is then "".
func MaskedYAML(gk schema.GroupKind, from, to map[string]any) (string, string, error) {
	mask(gk, from, to)
	var a, b []byte
	var err error
	if from != nil {
		if a, err = yaml.Marshal(from); err != nil {
			return "", "", fmt.Errorf("encode live object: %w", err)
		}
	}
	if b, err = yaml.Marshal(to); err != nil {
		return "", "", fmt.Errorf("encode merged object: %w", err)
	}
	return string(a), string(b), nil
}
