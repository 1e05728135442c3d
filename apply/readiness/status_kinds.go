package readiness

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// pvcStatus: a claim is ready once bound to a volume. A claim whose
// storage class binds on first use stays Pending until a pod mounts it,
// so wait for the pod's workload in the same bundle. Lost (its volume is
// gone) does not recover.
func pvcStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	switch phase := stringAt(u, "status", "phase"); phase {
	case "Bound":
		return Status{State: StateCurrent, Message: "Bound"}
	case "Lost":
		return Status{State: StateFailed, Message: "Lost: its volume no longer exists"}
	case "":
		return Status{State: StateInProgress, Message: "not yet observed"}
	default:
		return Status{State: StateInProgress, Message: phase + ", not Bound"}
	}
}

// crdStatus: established means its kind is served. Rejected names never
// get there; neither does Established=False for any reason but Installing.
func crdStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	if c, ok := findCondition(conds, "NamesAccepted"); ok && c.Status == "False" {
		return Status{State: StateFailed, Message: c.describe("names not accepted")}
	}
	c, ok := findCondition(conds, "Established")
	switch {
	case ok && c.Status == "True":
		return Status{State: StateCurrent, Message: "Established"}
	case ok && c.Status == "False" && c.Reason != "Installing":
		return Status{State: StateFailed, Message: c.describe("not established")}
	}
	return Status{State: StateInProgress, Message: "not yet established"}
}

func namespaceStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	switch phase := stringAt(u, "status", "phase"); phase {
	case "Active":
		return Status{State: StateCurrent, Message: "Active"}
	case "Terminating":
		return Status{State: StateTerminating, Message: "being deleted"}
	default:
		return Status{State: StateInProgress, Message: "not yet Active"}
	}
}

// apiServiceStatus: an aggregated API is ready once the aggregator reaches
// its backend (Available=True); until then the condition says why not.
func apiServiceStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	c, ok := findCondition(conds, "Available")
	switch {
	case !ok:
		return Status{State: StateInProgress, Message: "availability not yet checked"}
	case c.Status == "True":
		return Status{State: StateCurrent, Message: "Available"}
	}
	return Status{State: StateInProgress, Message: c.describe("not Available")}
}

// serviceStatus: a Service works once it exists; only with
// WaitForLoadBalancer does a LoadBalancer Service wait for its address.
func serviceStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	if !opts.WaitForLoadBalancer || stringAt(u, "spec", "type") != "LoadBalancer" {
		return Status{State: StateCurrent, Message: "exists"}
	}
	return loadBalancerStatus(u)
}

// ingressStatus: as a Service; with WaitForLoadBalancer it waits for the
// ingress controller to publish an address.
func ingressStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	if !opts.WaitForLoadBalancer {
		return Status{State: StateCurrent, Message: "exists"}
	}
	return loadBalancerStatus(u)
}

func loadBalancerStatus(u *unstructured.Unstructured) Status {
	ingress, _, _ := unstructured.NestedSlice(u.Object, "status", "loadBalancer", "ingress")
	var addrs []string
	for _, in := range ingress {
		m, ok := in.(map[string]any)
		if !ok {
			continue
		}
		if ip, _ := m["ip"].(string); ip != "" {
			addrs = append(addrs, ip)
		} else if host, _ := m["hostname"].(string); host != "" {
			addrs = append(addrs, host)
		}
	}
	if len(addrs) == 0 {
		return Status{State: StateInProgress, Message: "waiting for a load-balancer address"}
	}
	return Status{State: StateCurrent, Message: fmt.Sprintf("load balancer at %s", strings.Join(addrs, ", "))}
}
