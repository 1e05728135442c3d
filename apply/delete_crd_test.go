package apply

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func testCRD(singular string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"names": map[string]any{"singular": singular, "plural": singular + "s"}},
	}}
}

func instances(nsNames ...string) []metav1.PartialObjectMetadata {
	var items []metav1.PartialObjectMetadata
	for i := 0; i < len(nsNames); i += 2 {
		items = append(items, metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: nsNames[i], Name: nsNames[i+1]}})
	}
	return items
}

// The note of a CRD's deletion counts its custom resources per namespace
// and names the first five, ordered by namespace and name (issue 13 I).
func TestDescribeInstances(t *testing.T) {
	var many []string
	for i := range 7 {
		many = append(many, fmt.Sprintf("ns%d", i), "w")
	}
	tests := []struct {
		name  string
		items []metav1.PartialObjectMetadata
		want  string
	}{
		{"none", nil, ""},
		{"one", instances("a", "w"), "with 1 custom resource (a: 1): widget/w -n a"},
		{"cluster-scoped", instances("", "y", "", "x"), "with 2 custom resources: widget/x, widget/y"},
		{
			"names capped, counts per namespace",
			instances("b", "z", "a", "w6", "a", "w1", "a", "w2", "a", "w3", "a", "w4", "a", "w5"),
			"with 7 custom resources (a: 6, b: 1): widget/w1 -n a, widget/w2 -n a, widget/w3 -n a, widget/w4 -n a, widget/w5 -n a, and 2 more",
		},
		{
			"namespaces capped",
			instances(many...),
			"with 7 custom resources (ns0: 1, ns1: 1, ns2: 1, ns3: 1, ns4: 1, 2 more namespaces): widget/w -n ns0, widget/w -n ns1, widget/w -n ns2, widget/w -n ns3, widget/w -n ns4, and 2 more",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeInstances(testCRD("widget"), tt.items); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A CRD being deleted shows its Terminating condition, reason and message.
func TestTerminatingReason(t *testing.T) {
	crd := testCRD("widget")
	crd.Object["status"] = map[string]any{"conditions": []any{
		map[string]any{"type": "Established", "status": "True"},
		map[string]any{"type": "Terminating", "status": "True", "reason": "InstanceDeletionFailed", "message": "could not list instances: storage is (re)initializing"},
	}}
	if got, want := terminatingReason(crd), "Terminating: InstanceDeletionFailed: could not list instances: storage is (re)initializing"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := terminatingReason(testCRD("widget")); got != "" {
		t.Errorf("a CRD without the condition: got %q", got)
	}
}
