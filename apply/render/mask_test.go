package render

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/dynamicx"
)

func TestMask(t *testing.T) {
	const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
	objJSON := `{"apiVersion":"v1","kind":"Secret","data":{"k":"c2VjcmV0"}}`
	tests := []struct {
		name                 string
		gk                   schema.GroupKind
		live, merged         map[string]any
		wantLive, wantMerged map[string]any
	}{
		{
			name: "secret values: same, changed, new and removed keys",
			gk:   secretGK,
			live: map[string]any{"data": map[string]any{"same": "YQ==", "changed": "Yg==", "removed": "Yw=="}},
			merged: map[string]any{
				"data":       map[string]any{"same": "YQ==", "changed": "ZA==", "added": "ZQ=="},
				"stringData": map[string]any{"plain": "text"},
			},
			wantLive: map[string]any{"data": map[string]any{"same": MaskedValue, "changed": MaskedValue, "removed": MaskedValue}},
			wantMerged: map[string]any{
				"data":       map[string]any{"same": MaskedValue, "changed": MaskedChanged, "added": MaskedNew},
				"stringData": map[string]any{"plain": MaskedNew},
			},
		},
		{
			name:       "a new secret",
			gk:         secretGK,
			merged:     map[string]any{"type": "Opaque", "data": map[string]any{"k": "dg=="}},
			wantMerged: map[string]any{"type": "Opaque", "data": map[string]any{"k": MaskedNew}},
		},
		{
			name:       "the data of other kinds is shown",
			gk:         schema.GroupKind{Kind: "ConfigMap"},
			live:       map[string]any{"data": map[string]any{"k": "old"}},
			merged:     map[string]any{"data": map[string]any{"k": "new"}},
			wantLive:   map[string]any{"data": map[string]any{"k": "old"}},
			wantMerged: map[string]any{"data": map[string]any{"k": "new"}},
		},
		{
			name: "annotations that carry an object, for every kind",
			gk:   schema.GroupKind{Kind: "ConfigMap"},
			live: map[string]any{"metadata": map[string]any{"annotations": map[string]any{
				lastApplied: "{}", "other.example/copy": objJSON, "note": "kept",
			}}},
			merged: map[string]any{"metadata": map[string]any{"annotations": map[string]any{
				lastApplied: "{ }", "other.example/copy": objJSON, "note": "changed", "new.example/copy": objJSON,
			}}},
			wantLive: map[string]any{"metadata": map[string]any{"annotations": map[string]any{
				lastApplied: MaskedValue, "other.example/copy": MaskedValue, "note": "kept",
			}}},
			wantMerged: map[string]any{"metadata": map[string]any{"annotations": map[string]any{
				lastApplied: MaskedChanged, "other.example/copy": MaskedValue, "note": "changed", "new.example/copy": MaskedNew,
			}}},
		},
		{
			name:       "an annotation that carries an object on one side only is masked on both",
			gk:         schema.GroupKind{Kind: "ConfigMap"},
			live:       map[string]any{"metadata": map[string]any{"annotations": map[string]any{"a": "plain"}}},
			merged:     map[string]any{"metadata": map[string]any{"annotations": map[string]any{"a": objJSON}}},
			wantLive:   map[string]any{"metadata": map[string]any{"annotations": map[string]any{"a": MaskedValue}}},
			wantMerged: map[string]any{"metadata": map[string]any{"annotations": map[string]any{"a": MaskedChanged}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mask(tc.gk, tc.live, tc.merged)
			if diff := cmp.Diff(tc.wantLive, tc.live); diff != "" {
				t.Errorf("live mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMerged, tc.merged); diff != "" {
				t.Errorf("merged mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffableLeavesOutServerNoise(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{
			"name": "c", "namespace": "n", "uid": "u", "resourceVersion": "7", "generation": int64(2),
			"creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": []any{map[string]any{"manager": "kapply"}},
			"annotations": map[string]any{}, "labels": map[string]any{"a": "b"},
		},
		"data":   map[string]any{"k": "v"},
		"status": map[string]any{"phase": "x"},
	}}
	want := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c", "namespace": "n", "labels": map[string]any{"a": "b"}},
		"data":     map[string]any{"k": "v"},
	}
	if diff := cmp.Diff(want, Diffable(u)); diff != "" {
		t.Errorf("Diffable mismatch (-want +got):\n%s", diff)
	}
	if _, ok := u.Object["status"]; !ok {
		t.Error("Diffable changed its input")
	}
}

// TestRenderSecretShowsNoValue goes from objects to the diff text, with a
// marker in every form a Secret may hold it.
func TestRenderSecretShowsNoValue(t *testing.T) {
	const marker = "s3cr3t-marker-render"
	b64 := base64.StdEncoding.EncodeToString([]byte(marker))
	ref := dynamicx.Ref{Kind: "Secret", Namespace: "ns", Name: "creds"}
	live := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "creds"},
		"data": map[string]any{"password": base64.StdEncoding.EncodeToString([]byte("old")), "kept": b64}}
	merged := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "creds"},
		"data": map[string]any{"password": b64, "kept": b64, "token": b64}, "stringData": map[string]any{"x": marker}}
	got, err := Diff(ref.GroupKind(), ref.String(), live, merged)
	if err != nil {
		t.Fatal(err)
	}
	want := `--- live/secret/creds -n ns
+++ merged/secret/creds -n ns
@@ -1,7 +1,10 @@
 apiVersion: v1
 data:
   kept: '***'
-  password: '***'
+  password: '*** (changed)'
+  token: '*** (new)'
 kind: Secret
 metadata:
   name: creds
+stringData:
+  x: '*** (new)'
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("render mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(got, marker) || strings.Contains(got, b64) {
		t.Errorf("the diff shows a secret value:\n%s", got)
	}
}

func TestRedactor(t *testing.T) {
	const value = "hunter22"
	b64 := base64.StdEncoding.EncodeToString([]byte(value))
	secret := &unstructured.Unstructured{Object: map[string]any{
		"data": map[string]any{"a": b64, "short": "eA=="}, "stringData": map[string]any{"b": "plain-value", "c": "ab"},
	}}
	r := NewRedactor(secretGK, secret, nil)
	msg := "bad: " + value + " / " + b64 + " / plain-value / ab / " + base64.StdEncoding.EncodeToString([]byte("plain-value"))
	if got, want := r.Redact(msg), "bad: *** / *** / *** / ab / ***"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
	if r := NewRedactor(schema.GroupKind{Kind: "ConfigMap"}, secret); r.Redact(msg) != msg {
		t.Error("a ConfigMap's message was changed")
	}
}
