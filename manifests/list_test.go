package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListFlatten(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []got
	}{
		{
			name:  "v1 List",
			input: "apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n" + listItem(cm("a")) + listItem(cm("b")),
			want:  []got{{"f.yaml#1[1]", 5, cmObj("a")}, {"f.yaml#1[2]", 9, cmObj("b")}},
		},
		{
			name:  "typed List",
			input: "apiVersion: v1\nkind: ConfigMapList\nitems:\n" + listItem(cm("a")),
			want:  []got{{"f.yaml#1[1]", 4, cmObj("a")}},
		},
		{
			name:  "empty List",
			input: "apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nkind: ConfigMapList\nitems:\n",
		},
		{
			name:  "members of a typed List without kind and apiVersion take the List's, as kubectl does",
			input: "apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
			want:  []got{{"f.yaml#1[1]", 4, cmObj("a")}, {"f.yaml#1[2]", 5, cmObj("b")}},
		},
		{
			name:  "kind ending in List without items is an ordinary object",
			input: "apiVersion: example.com/v1\nkind: AllowList\nmetadata:\n  name: a\nspec:\n  items: {}\n",
			want: []got{{"f.yaml#1", 1, map[string]any{
				"apiVersion": "example.com/v1", "kind": "AllowList", "metadata": map[string]any{"name": "a"},
				"spec": map[string]any{"items": map[string]any{}},
			}}},
		},
		{
			name:  "JSON List",
			input: `{"apiVersion":"v1","kind":"List","items":[` + "\n" + `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},` + "\n" + `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}]}`,
			want:  []got{{"f.yaml#1[1]", 2, cmObj("a")}, {"f.yaml#1[2]", 3, cmObj("b")}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Decode("f.yaml", []byte(tc.input))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, summarize(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{
			name:  "List inside a List",
			input: "apiVersion: v1\nkind: List\nitems:\n" + listItem(cm("a")) + "- apiVersion: v1\n  kind: List\n  items: []\n",
			want:  "f.yaml#1:9:3: List item 2: a List inside a List is not supported",
		},
		{
			name:  "typed List inside a List",
			input: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: SecretList\n  items: []\n",
			want:  "f.yaml#1:5:3: List item 1: a List inside a List is not supported",
		},
		{
			name:  "item that is not a mapping",
			input: "apiVersion: v1\nkind: List\nitems:\n" + listItem(cm("a")) + "- just text\n",
			want:  "f.yaml#1:8:3: List item 2: must be a mapping with apiVersion, kind and metadata, not a string",
		},
		{
			name:  "items that is not a sequence",
			input: "apiVersion: v1\nkind: List\nitems: {}\n",
			want:  "f.yaml#1:3:1: items of a List must be a sequence, not a mapping",
		},
		{
			name:  "invalid item",
			input: "apiVersion: v1\nkind: List\nitems:\n" + listItem(cm("a")) + "- kind: ConfigMap\n  metadata:\n    generateName: b-\n",
			want: "f.yaml#1:8:3: List item 2: apiVersion is required\n" +
				"f.yaml#1:10:5: List item 2: metadata.generateName is not supported: apply must be idempotent, and generateName makes the server create a new object on every run; set metadata.name instead",
		},
		{
			name:  "duplicate items",
			input: "apiVersion: v1\nkind: List\nitems:\n" + listItem(cm("a")) + listItem(cm("a")),
			want:  "f.yaml#1:11:5: List item 2: duplicate object ConfigMap a: also defined at f.yaml#1[1]:4",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("f.yaml", []byte(tc.input))
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
