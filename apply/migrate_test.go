package apply

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func entry(manager string, op metav1.ManagedFieldsOperationType, subresource, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, APIVersion: "apps/v1", Subresource: subresource, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
}

const (
	opApply  = metav1.ManagedFieldsOperationApply
	opUpdate = metav1.ManagedFieldsOperationUpdate
	// fields of a client-side kubectl apply: a label and the annotation.
	csaFields   = `{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:tier":{}}},"f:spec":{"f:replicas":{}}}`
	ourFields   = `{"f:spec":{"f:replicas":{}}}`
	helmFields  = `{"f:metadata":{"f:labels":{"f:chart":{}}}}`
	ctrlFields  = `{"f:metadata":{"f:annotations":{"f:deployment.kubernetes.io/revision":{}}}}`
	scaleFields = `{"f:spec":{"f:replicas":{}}}`
)

// Which managers an apply takes over: kubectl's client-side managers and
// kapply's own Update entries always, others only when named, and never a
// subresource's (an HPA's /scale) or a controller's.
func TestMigrationTakesOnlyClientSideAndNamedManagers(t *testing.T) {
	tests := []struct {
		name    string
		from    []string
		entries []metav1.ManagedFieldsEntry
		want    []string
	}{
		{name: "nothing to take", entries: []metav1.ManagedFieldsEntry{entry("kapply", opApply, "", ourFields), entry("kube-controller-manager", opUpdate, "", ctrlFields)}},
		{name: "kubectl client-side apply", entries: []metav1.ManagedFieldsEntry{entry("kubectl-client-side-apply", opUpdate, "", csaFields), entry("kube-controller-manager", opUpdate, "", ctrlFields)}, want: []string{"kubectl-client-side-apply"}},
		{name: "old kubectl that owns the annotation", entries: []metav1.ManagedFieldsEntry{entry("kubectl", opUpdate, "", csaFields)}, want: []string{"kubectl"}},
		{name: "kubectl edit, not owning the annotation", entries: []metav1.ManagedFieldsEntry{entry("kubectl-edit", opUpdate, "", helmFields)}},
		{name: "kapply create or update mode", entries: []metav1.ManagedFieldsEntry{entry("kapply", opUpdate, "", ourFields), entry("kapply", opApply, "", ourFields)}, want: []string{"kapply"}},
		{name: "helm not named", entries: []metav1.ManagedFieldsEntry{entry("helm", opUpdate, "", helmFields)}},
		{name: "helm named", from: []string{"helm"}, entries: []metav1.ManagedFieldsEntry{entry("helm", opUpdate, "", helmFields)}, want: []string{"helm"}},
		{name: "another tool's apply entry named", from: []string{"argocd-controller"}, entries: []metav1.ManagedFieldsEntry{entry("argocd-controller", opApply, "", helmFields)}, want: []string{"argocd-controller"}},
		{name: "an HPA through /scale, even when named", from: []string{"hpa"}, entries: []metav1.ManagedFieldsEntry{entry("hpa", opUpdate, "scale", scaleFields)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := migrationPolicy{manager: "kapply", from: tc.from}
			managed, got, err := p.migrate(tc.entries)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("managers taken (-want +got):\n%s", diff)
			}
			if got == nil {
				return
			}
			var ours []metav1.ManagedFieldsEntry
			for _, e := range managed {
				for _, name := range got {
					if e.Manager == name && e.Subresource == "" && !(e.Manager == "kapply" && e.Operation == opApply) {
						t.Errorf("entry %s/%s is still there after the migration", e.Manager, e.Operation)
					}
				}
				if e.Manager == "kapply" {
					ours = append(ours, e)
				}
			}
			if len(ours) != 1 || ours[0].Operation != opApply {
				t.Fatalf("want one Apply entry of kapply, got %+v", ours)
			}
		})
	}
}

// The fields of the taken entries end up in the Apply entry, which the
// server then uses to remove what the manifest dropped.
func TestMigrationUnionsFieldsIntoTheApplyEntry(t *testing.T) {
	p := migrationPolicy{manager: "kapply"}
	managed, _, err := p.migrate([]metav1.ManagedFieldsEntry{
		entry("kubectl-client-side-apply", opUpdate, "", csaFields),
		entry("kapply", opApply, "", ourFields),
		entry("kube-controller-manager", opUpdate, "", ctrlFields),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(managed) != 2 {
		t.Fatalf("want the Apply entry and the controller's, got %+v", managed)
	}
	got := map[string]string{}
	for _, e := range managed {
		got[e.Manager+"/"+string(e.Operation)] = e.FieldsV1.GetRawString()
	}
	want := map[string]string{"kapply/Apply": csaFields, "kube-controller-manager/Update": ctrlFields}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("managed fields (-want +got):\n%s", diff)
	}
}

// diff and dry runs show what the migration would remove: fields only the
// taken managers own, not those another manager or the manifest owns.
func TestPreviewMigrationRemovesOnlyFieldsNoOneElseOwns(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name":        "web",
			"labels":      map[string]any{"tier": "front", "chart": "web-1"},
			"annotations": map[string]any{LastAppliedAnnotation: "{}", "deployment.kubernetes.io/revision": "1"},
		},
		"spec": map[string]any{"replicas": int64(2), "template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "web", "image": "nginx"},
			map[string]any{"name": "sidecar", "image": "envoy"},
		}}}},
	}}
	containers := `"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"sidecar\"}":{".":{},"f:image":{},"f:name":{}}}}}}`
	obj.SetManagedFields([]metav1.ManagedFieldsEntry{
		entry("kapply", opApply, "", `{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`),
		entry("kubectl-client-side-apply", opUpdate, "", `{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:tier":{}}},`+containers+`}`),
		entry("helm", opUpdate, "", helmFields),
		entry("kube-controller-manager", opUpdate, "", ctrlFields),
	})
	p := migrationPolicy{manager: "kapply"}
	from, err := p.previewMigration(obj)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kubectl-client-side-apply"}, from); diff != "" {
		t.Errorf("managers (-want +got):\n%s", diff)
	}
	want := map[string]any{
		"metadata": map[string]any{
			"name":        "web",
			"labels":      map[string]any{"chart": "web-1"},
			"annotations": map[string]any{"deployment.kubernetes.io/revision": "1"},
		},
		"spec": map[string]any{"replicas": int64(2), "template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "web", "image": "nginx"},
		}}}},
	}
	got := obj.DeepCopy().Object
	unstructured.RemoveNestedField(got, "metadata", "managedFields")
	delete(got, "apiVersion")
	delete(got, "kind")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("object after the preview (-want +got):\n%s", diff)
	}
}
