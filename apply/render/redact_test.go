package render

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func secretObject(data, stringData map[string]any) *unstructured.Unstructured {
	obj := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "creds", "namespace": "ns"}}
	if data != nil {
		obj["data"] = data
	}
	if stringData != nil {
		obj["stringData"] = stringData
	}
	return &unstructured.Unstructured{Object: obj}
}

// TestRedactorReachesValuesTheServerQuotes uses the server's messages for
// values that are not strings, as measured on Kubernetes 1.37 (server-side
// apply's type check), and quoted strings.
func TestRedactorReachesValuesTheServerQuotes(t *testing.T) {
	tests := []struct {
		name      string
		data, sd  map[string]any
		msg, want string
	}{
		{
			name: "a number",
			sd:   map[string]any{"k": int64(12345678901)},
			msg:  `.stringData.k: expected string, got &value.valueUnstructured{Value:12345678901}`,
			want: `.stringData.k: expected string, got &value.valueUnstructured{Value:***}`,
		},
		{
			name: "a float",
			sd:   map[string]any{"k": 1234.5},
			msg:  `got &value.valueUnstructured{Value:1234.5}`,
			want: `got &value.valueUnstructured{Value:***}`,
		},
		{
			name: "a list",
			sd:   map[string]any{"k": []any{"list-marker"}},
			msg:  `.stringData.k: expected string, got &value.valueUnstructured{Value:[]interface {}{"list-marker"}}`,
			want: `.stringData.k: expected string, got &value.valueUnstructured{Value:[]interface {}{"***"}}`,
		},
		{
			name: "a mapping in data",
			data: map[string]any{"k": map[string]any{"a": "map-marker"}},
			msg:  `.data.k: expected string, got &value.valueUnstructured{Value:map[string]interface {}{"a":"map-marker"}}`,
			want: `.data.k: expected string, got &value.valueUnstructured{Value:map[string]interface {}{"a":"***"}}`,
		},
		{
			name: "a multi-line value quoted by Go",
			sd:   map[string]any{"key": "-----BEGIN KEY-----\nAAAA\"q\n-----END KEY-----\n"},
			msg:  `got "-----BEGIN KEY-----\nAAAA\"q\n-----END KEY-----\n"`,
			want: `got "***"`,
		},
		{
			name: "a value quoted by JSON",
			sd:   map[string]any{"k": "<tag>&value"},
			msg:  `{"k":"\u003ctag\u003e\u0026value"}`,
			want: `{"k":"***"}`,
		},
		{
			name: "booleans stay",
			sd:   map[string]any{"k": true},
			msg:  `expected string, got true`,
			want: `expected string, got true`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRedactor(secretGK, secretObject(tc.data, tc.sd))
			if got := r.Redact(tc.msg); got != tc.want {
				t.Errorf("redact(%q)\n = %q\nwant %q", tc.msg, got, tc.want)
			}
		})
	}
}
