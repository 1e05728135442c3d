package readiness

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// State says how far a live object is from ready. The values follow
// sigs.k8s.io/cli-utils' kstatus, which these rules take as their model.
type State string

// Readiness states.
const (
	// StateCurrent: the object exists and what its controller reports
	// matches its latest spec (rolled out, bound, established...).
	StateCurrent State = "Current"
	// StateInProgress: not ready yet, and nothing says it never will be.
	StateInProgress State = "InProgress"
	// StateFailed: the object says it will not become ready without a
	// change (a rollout past its deadline, a failed Job).
	StateFailed State = "Failed"
	// StateNotFound: the object does not exist.
	StateNotFound State = "NotFound"
	// StateTerminating: the object is being deleted.
	StateTerminating State = "Terminating"
	// StateUnknown: the object could not be read; the message says why.
	StateUnknown State = "Unknown"
)

// Label is the state as a person reads it in a table or a log line.
func (s State) Label() string {
	switch s {
	case StateCurrent:
		return "ready"
	case StateInProgress:
		return "in progress"
	case StateFailed:
		return "failed"
	case StateNotFound:
		return "not found"
	case StateTerminating:
		return "terminating"
	}
	return "unknown"
}

// Status is the readiness of one object, computed from its live state.
type Status struct {
	State   State
	Message string
	// Pods counts the ready pods of a workload (Deployment, StatefulSet,
	// DaemonSet, ReplicaSet); nil for every other kind.
	Pods *PodCount
}

// PodCount is the ready pods of a workload against the pods it wants.
type PodCount struct {
	Ready   int64
	Desired int64
}

// String is "READY/DESIRED ready", as the status table shows it.
func (p PodCount) String() string { return fmt.Sprintf("%d/%d ready", p.Ready, p.Desired) }

// Options adjusts what ready means.
type Options struct {
	// WaitForLoadBalancer makes a Service of type LoadBalancer, and an
	// Ingress, ready only once status.loadBalancer.ingress has an address.
	// Off by default: clusters without a load-balancer controller never
	// fill it in.
	WaitForLoadBalancer bool
	// StatusSubresource: the object is a custom resource whose CRD has a
	// status subresource, so it is ready only once its controller wrote
	// status (see customStatus). The watcher sets it per resource, from
	// the CRD.
	StatusSubresource bool
}

// Compute returns the readiness of a live object with the default
// options. A nil object is NotFound.
func Compute(u *unstructured.Unstructured) Status {
	return ComputeWith(u, Options{})
}

// ComputeWith returns the readiness of a live object. It is a pure
// function of the object: it reads nothing else and no clock.
//
// The checks, in order: deletion; whether the controller has observed the
// latest generation (status.observedGeneration >= metadata.generation; a
// status that lags describes an older spec); the kstatus conditions
// Stalled (failed) and Reconciling (in progress); then the rule of the
// kind. A custom resource whose CRD has a status subresource is ready once
// its controller wrote status; other kinds without a rule once they exist;
// a Ready condition, where there is one, decides.
func ComputeWith(u *unstructured.Unstructured, opts Options) Status {
	if u == nil {
		return Status{State: StateNotFound, Message: "does not exist"}
	}
	if u.GetDeletionTimestamp() != nil {
		return Status{State: StateTerminating, Message: "being deleted"}
	}
	gk := u.GroupVersionKind().GroupKind()
	if s, ok := checkObserved(u, controllerReportsGeneration(gk)); !ok {
		return s
	}
	conds := conditionsOf(u)
	if c, ok := findCondition(conds, "Stalled"); ok && c.Status == "True" {
		return Status{State: StateFailed, Message: c.describe("stalled")}
	}
	if c, ok := findCondition(conds, "Reconciling"); ok && c.Status == "True" {
		return Status{State: StateInProgress, Message: c.describe("reconciling")}
	}
	if rule, ok := kindRules[gk]; ok {
		return rule(u, conds, opts)
	}
	if opts.StatusSubresource {
		return customStatus(u, conds)
	}
	return genericStatus(conds)
}

// kindRules are the kinds with a readiness rule of their own.
var kindRules = map[schema.GroupKind]func(*unstructured.Unstructured, []condition, Options) Status{
	{Group: "apps", Kind: "Deployment"}:                               deploymentStatus,
	{Group: "apps", Kind: "StatefulSet"}:                              statefulSetStatus,
	{Group: "apps", Kind: "DaemonSet"}:                                daemonSetStatus,
	{Group: "apps", Kind: "ReplicaSet"}:                               replicaSetStatus,
	{Group: "batch", Kind: "Job"}:                                     jobStatus,
	{Kind: "Pod"}:                                                     podStatus,
	{Kind: "PersistentVolumeClaim"}:                                   pvcStatus,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: crdStatus,
	{Kind: "Namespace"}:                                               namespaceStatus,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:             apiServiceStatus,
	{Kind: "Service"}:                                                 serviceStatus,
	{Group: "networking.k8s.io", Kind: "Ingress"}:                     ingressStatus,
}

// HasOwnRule reports whether gk has a readiness rule of its own (the
// built-in kinds above), as opposed to the generic one.
func HasOwnRule(gk schema.GroupKind) bool {
	_, ok := kindRules[gk]
	return ok
}

// controllerReportsGeneration lists the kinds whose controller always
// writes status.observedGeneration: for them a missing one means the
// controller has not seen the object yet (a Deployment scaled to zero
// would otherwise look rolled out before its controller ran).
func controllerReportsGeneration(gk schema.GroupKind) bool {
	return gk.Group == "apps" && (gk.Kind == "Deployment" || gk.Kind == "StatefulSet" || gk.Kind == "DaemonSet" || gk.Kind == "ReplicaSet")
}

// checkObserved returns false with an in-progress status when the status
// describes an older generation than the spec.
func checkObserved(u *unstructured.Unstructured, required bool) (Status, bool) {
	observed, found, err := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	switch {
	case err != nil || (!found && !required):
		return Status{}, true
	case !found:
		return Status{State: StateInProgress, Message: "not yet observed by its controller"}, false
	case observed < u.GetGeneration():
		return Status{State: StateInProgress, Message: fmt.Sprintf("generation %d not yet observed by its controller (observed %d)", u.GetGeneration(), observed)}, false
	}
	return Status{}, true
}

// genericStatus is the rule for kinds without one of their own: a Ready
// condition, where the object has one, decides; otherwise existing is
// enough (a custom resource whose CRD has no status is ready once stored).
func genericStatus(conds []condition) Status {
	c, ok := findCondition(conds, "Ready")
	switch {
	case !ok:
		return Status{State: StateCurrent, Message: "exists"}
	case c.Status == "True":
		return Status{State: StateCurrent, Message: "Ready"}
	}
	// kstatus reads Ready=False as in progress: nothing tells a
	// controller's "not yet" from "never"; Stalled=True says never.
	return Status{State: StateInProgress, Message: c.describe("not Ready")}
}

// condition is one entry of status.conditions.
type condition struct {
	Type, Status, Reason, Message string
}

// describe formats the condition for a message: "prefix: Reason: message"
// (without a prefix when the state says it all).
func (c condition) describe(prefix string) string {
	var parts []string
	if prefix != "" {
		parts = append(parts, prefix)
	}
	if c.Reason != "" {
		parts = append(parts, c.Reason)
	}
	if c.Message != "" {
		parts = append(parts, strings.TrimSuffix(c.Message, "."))
	}
	return strings.Join(parts, ": ")
}

func conditionsOf(u *unstructured.Unstructured) []condition {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	conds := make([]condition, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		conds = append(conds, condition{Type: str("type"), Status: str("status"), Reason: str("reason"), Message: str("message")})
	}
	return conds
}

func findCondition(conds []condition, typ string) (condition, bool) {
	for _, c := range conds {
		if c.Type == typ {
			return c, true
		}
	}
	return condition{}, false
}

func isTrue(conds []condition, typ string) (condition, bool) {
	c, ok := findCondition(conds, typ)
	return c, ok && c.Status == "True"
}

// intAt reads an integer field, def when it is absent or not an integer.
func intAt(u *unstructured.Unstructured, def int64, fields ...string) int64 {
	v, found, err := unstructured.NestedInt64(u.Object, fields...)
	if !found || err != nil {
		return def
	}
	return v
}

func stringAt(u *unstructured.Unstructured, fields ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, fields...)
	return s
}
