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
