package apply

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The server's 409s, as kube-apiserver words them; what it does is
// tested in cmd/kapply (TestConflictWithAnotherFieldManager,
// TestExportedManifestPreconditions).
func TestExplainConflict(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	fieldConflict := apierrors.NewApplyConflict([]metav1.StatusCause{
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "helm" using v1`, Field: ".data.b"},
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "helm" using v1`, Field: ".data.a"},
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "kubectl-edit" using v1`, Field: ".metadata.labels.x"},
	}, "Apply failed with 3 conflicts")
	modified := apierrors.NewConflict(gr, "cm", errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	uid := apierrors.NewConflict(gr, "cm", errors.New("Precondition failed: UID in precondition: 1111, UID in object meta: 2222"))
	uidInvalid := apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "cm", field.ErrorList{field.Invalid(field.NewPath("metadata", "uid"), "1111", "field is immutable")})
	manifest := func(rv, uid string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm"}}}
		if rv != "" {
			u.SetResourceVersion(rv)
		}
		if uid != "" {
			u.SetUID("1111")
		}
		return u
	}
	tests := []struct {
		name     string
		err      error
		manifest *unstructured.Unstructured
		want     string // a part of the message
		force    bool   // the message suggests --force-conflicts
	}{
		{name: "field managers", err: fieldConflict, manifest: manifest("", ""), force: true,
			want: `(field manager "helm" owns .data.a, .data.b; "kubectl-edit" owns .metadata.labels.x: apply with --force-conflicts to take these fields over`},
		{name: "stale resourceVersion", err: modified, manifest: manifest("42", "1111"),
			want: `(the manifest sets metadata.resourceVersion "42", a precondition: the live object has changed since; remove metadata.resourceVersion from the manifest)`},
		{name: "stale uid", err: uid, manifest: manifest("", "1111"),
			want: `(the manifest sets metadata.uid "1111", a precondition: the live object is another one`},
		{name: "stale uid, resourceVersion too", err: uid, manifest: manifest("42", "1111"), want: `metadata.uid "1111"`},
		{name: "server-side apply's answer to another object's uid", err: uidInvalid, manifest: manifest("", "1111"), want: `(the manifest sets metadata.uid "1111"`},
		{name: "an immutable uid the manifest does not set", err: uidInvalid, manifest: manifest("", ""), want: "field is immutable"},
		{name: "a 409 of no known cause is left as it is", err: modified, manifest: manifest("", ""), want: "the object has been modified"},
		{name: "not a conflict", err: apierrors.NewBadRequest("bad"), manifest: manifest("42", ""), want: "bad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := explainConflict(tc.err, tc.manifest)
			if !errors.Is(got, tc.err) {
				t.Errorf("the server's error is not wrapped: %v", got)
			}
			if !strings.Contains(got.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", got, tc.want)
			}
			if strings.Contains(got.Error(), "--force-conflicts") != tc.force {
				t.Errorf("error %q: suggests --force-conflicts: %v, want %v", got, !tc.force, tc.force)
			}
		})
	}
}

func TestServerSetMetadata(t *testing.T) {
	tests := []struct {
		name string
		meta map[string]any
		want []string
	}{
		{name: "generated: creationTimestamp null", meta: map[string]any{"name": "a", "creationTimestamp": nil}},
		{name: "kubectl get -o yaml", meta: map[string]any{"name": "a", "resourceVersion": "7", "uid": "u", "creationTimestamp": "2026-01-01T00:00:00Z", "generation": int64(2)},
			want: []string{"resourceVersion", "uid", "creationTimestamp", "generation"}},
		{name: "--show-managed-fields", meta: map[string]any{"name": "a", "managedFields": []any{map[string]any{"manager": "kubectl"}}}, want: []string{"managedFields"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": tc.meta}}
			if d := cmp.Diff(tc.want, serverSetMetadata(u)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
