package readiness

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// NoStatusYet is the message of a custom resource whose controller has
// not written its status.
const NoStatusYet = "no status yet: is its controller running?"

// customStatus is the rule for a custom resource whose CRD has a status
// subresource: its controller owns status, so until status is written
// nothing has seen the object (kstatus would call it ready at once).
// Once it is, the generic rules decide (observedGeneration was checked
// before, then a Ready condition, where there is one).
func customStatus(u *unstructured.Unstructured, conds []condition) Status {
	if status, _, _ := unstructured.NestedMap(u.Object, "status"); len(status) == 0 {
		return Status{State: StateInProgress, Message: NoStatusYet}
	}
	if _, ok := findCondition(conds, "Ready"); !ok {
		return Status{State: StateCurrent, Message: "status written by its controller"}
	}
	return genericStatus(conds)
}
