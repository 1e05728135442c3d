package apply

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/dynamicx"
)

func secretItem(data, stringData map[string]any) *Item {
	obj := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "creds", "namespace": "ns"}}
	if data != nil {
		obj["data"] = data
	}
	if stringData != nil {
		obj["stringData"] = stringData
	}
	return &Item{
		Object:   &unstructured.Unstructured{Object: obj},
		Resolved: dynamicx.Resolved{Ref: dynamicx.Ref{Kind: "Secret", Namespace: "ns", Name: "creds"}, GVR: schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, Namespaced: true},
	}
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
			item := secretItem(tc.data, tc.sd)
			r := newRedactor(secretGK, item.Object)
			if got := r.redact(tc.msg); got != tc.want {
				t.Errorf("redact(%q)\n = %q\nwant %q", tc.msg, got, tc.want)
			}
		})
	}
}

func TestRedactResultCleansErrorsAndWarnings(t *testing.T) {
	const marker = "result-marker-41c9"
	b64 := base64.StdEncoding.EncodeToString([]byte(marker))
	server := apierrors.NewBadRequest("value " + b64 + " and " + marker)
	res := Result{Action: Failed, Err: server, Warnings: []string{"about " + marker, "plain"}}

	got := redactResult(secretItem(map[string]any{"k": b64}, nil), res)
	if want := "value *** and ***"; got.Err.Error() != want {
		t.Errorf("error = %q, want %q", got.Err, want)
	}
	if !apierrors.IsBadRequest(got.Err) {
		t.Error("the redacted error lost the server's error from its chain")
	}
	if diff := cmp.Diff([]string{"about ***", "plain"}, got.Warnings); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}

	cm := secretItem(nil, map[string]any{"k": marker})
	cm.Resolved.Ref.Kind = "ConfigMap"
	if got := redactResult(cm, Result{Err: server}); got.Err.Error() != server.Error() {
		t.Errorf("a ConfigMap's error was changed: %q", got.Err)
	}
	clean := errors.New("nothing secret here")
	if got := redactResult(secretItem(nil, map[string]any{"k": marker}), Result{Err: clean}); got.Err != clean {
		t.Errorf("an error without values was wrapped: %#v", got.Err)
	}
}
