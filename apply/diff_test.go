package apply

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestImmutableFields(t *testing.T) {
	gk := schema.GroupKind{Group: "apps", Kind: "Deployment"}
	invalid := func(errs ...*field.Error) error { return apierrors.NewInvalid(gk, "web", errs) }
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{
			name: "deployment selector",
			err:  invalid(field.Invalid(field.NewPath("spec", "selector"), "x", "field is immutable")),
			want: []string{"spec.selector"},
		},
		{
			name: "service clusterIP, wrapped",
			err:  fmt.Errorf("dry run: %w", invalid(field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), "x", "may not change once set"))),
			want: []string{"spec.clusterIPs[0]"},
		},
		{
			name: "only the immutable causes, once each",
			err: invalid(
				field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"),
				field.Invalid(field.NewPath("metadata", "name"), "x", "a lowercase RFC 1123 subdomain"),
				field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"),
			),
			want: []string{"data"},
		},
		{name: "invalid without immutable fields", err: invalid(field.Required(field.NewPath("spec", "template"), ""))},
		{name: "not an Invalid", err: apierrors.NewConflict(schema.GroupResource{Resource: "deployments"}, "web", errors.New("field is immutable"))},
		{name: "a plain error", err: errors.New("field is immutable")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, immutableFields(tc.err)); d != "" {
				t.Errorf("immutableFields mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestDiffOptionsValidate(t *testing.T) {
	d := DefaultDiffOptions()
	if err := d.Validate(); err != nil {
		t.Errorf("default options: %v", err)
	}
	bad := DiffOptions{Validation: "Loose"}
	want := "unknown validation \"Loose\": use strict, warn or ignore\na field manager is required\nconcurrency must be at least 1, got 0"
	if err := bad.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
}
