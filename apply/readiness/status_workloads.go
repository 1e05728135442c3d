package readiness

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deploymentStatus: rolled out when every desired pod runs the latest
// template and is available, and no pod of an older ReplicaSet is left
// (the same test as `kubectl rollout status`). A Progressing condition with
// reason ProgressDeadlineExceeded is the controller giving up: Failed. So
// is a paused Deployment that is not rolled out (issue 13).
func deploymentStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	desired := intAt(u, 1, "spec", "replicas")
	replicas := intAt(u, 0, "status", "replicas")
	updated := intAt(u, 0, "status", "updatedReplicas")
	ready := intAt(u, 0, "status", "readyReplicas")
	available := intAt(u, 0, "status", "availableReplicas")
	pods := &PodCount{Ready: ready, Desired: desired}
	if c, ok := findCondition(conds, "Progressing"); ok && c.Reason == "ProgressDeadlineExceeded" {
		return Status{State: StateFailed, Message: c.describe(""), Pods: pods}
	}
	rolledOut := updated == desired && replicas == updated && available >= desired
	// A paused Deployment does not progress: rolled out it is as ready as
	// it will get; otherwise nothing will change until someone resumes it.
	if paused, _, _ := unstructured.NestedBool(u.Object, "spec", "paused"); paused {
		if rolledOut {
			return Status{State: StateCurrent, Message: fmt.Sprintf("rolled out, %d/%d available (paused)", available, desired), Pods: pods}
		}
		return Status{State: StateFailed, Message: fmt.Sprintf("paused: resume it (kubectl rollout resume); %d/%d updated, %d/%d available", updated, desired, available, desired), Pods: pods}
	}
	if rolledOut {
		return Status{State: StateCurrent, Message: fmt.Sprintf("rolled out, %d/%d available", available, desired), Pods: pods}
	}
	msg := fmt.Sprintf("%d/%d updated, %d/%d ready, %d/%d available", updated, desired, ready, desired, available, desired)
	if old := replicas - updated; old > 0 {
		msg += fmt.Sprintf(", %d old", old)
	}
	if hint := deploymentHint(conds); hint != "" {
		msg += ": " + hint
	}
	return Status{State: StateInProgress, Message: msg, Pods: pods}
}

// deploymentHint is the message of the condition that says most about a
// rollout that is not done: a replica failure (quota, admission) first,
// then why it is not available, then how it progresses.
func deploymentHint(conds []condition) string {
	if c, ok := isTrue(conds, "ReplicaFailure"); ok {
		return c.describe("replica failure")
	}
	if c, ok := findCondition(conds, "Available"); ok && c.Status != "True" && c.Message != "" {
		return strings.TrimSuffix(c.Message, ".")
	}
	if c, ok := findCondition(conds, "Progressing"); ok && c.Message != "" {
		return strings.TrimSuffix(c.Message, ".")
	}
	return ""
}

// statefulSetStatus follows `kubectl rollout status`: every desired pod
// ready (and available where the controller reports it), the updated pods
// past the partition, and the current revision caught up with the update
// revision. StatefulSets set no condition that says a rollout failed.
func statefulSetStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	desired := intAt(u, 1, "spec", "replicas")
	replicas := intAt(u, 0, "status", "replicas")
	ready := intAt(u, 0, "status", "readyReplicas")
	available := intAt(u, ready, "status", "availableReplicas")
	updated := intAt(u, 0, "status", "updatedReplicas")
	pods := &PodCount{Ready: ready, Desired: desired}
	inProgress := func(format string, args ...any) Status {
		return Status{State: StateInProgress, Message: fmt.Sprintf(format, args...), Pods: pods}
	}
	switch {
	case replicas > desired:
		return inProgress("%d/%d ready, %d extra pods terminating", ready, desired, replicas-desired)
	case ready < desired:
		return inProgress("%d/%d ready", ready, desired)
	case available < desired:
		return inProgress("%d/%d available", available, desired)
	}
	if stringAt(u, "spec", "updateStrategy", "type") == "OnDelete" {
		return Status{State: StateCurrent, Message: fmt.Sprintf("%d/%d ready (updates OnDelete)", ready, desired), Pods: pods}
	}
	if partition := intAt(u, 0, "spec", "updateStrategy", "rollingUpdate", "partition"); partition > 0 {
		if want := desired - partition; updated < want {
			return inProgress("%d/%d updated above partition %d", updated, want, partition)
		}
		return Status{State: StateCurrent, Message: fmt.Sprintf("partitioned rollout done, %d updated", updated), Pods: pods}
	}
	if stringAt(u, "status", "updateRevision") != stringAt(u, "status", "currentRevision") {
		return inProgress("%d/%d updated, rollout in progress", updated, desired)
	}
	return Status{State: StateCurrent, Message: fmt.Sprintf("rolled out, %d/%d ready", ready, desired), Pods: pods}
}

// daemonSetStatus: every node that should run the pod runs the latest
// template, available.
func daemonSetStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	desired, found, _ := unstructured.NestedInt64(u.Object, "status", "desiredNumberScheduled")
	if !found {
		return Status{State: StateInProgress, Message: "not yet scheduled by its controller"}
	}
	updated := intAt(u, 0, "status", "updatedNumberScheduled")
	ready := intAt(u, 0, "status", "numberReady")
	available := intAt(u, 0, "status", "numberAvailable")
	pods := &PodCount{Ready: ready, Desired: desired}
	onDelete := stringAt(u, "spec", "updateStrategy", "type") == "OnDelete"
	if (updated < desired && !onDelete) || available < desired {
		return Status{State: StateInProgress, Message: fmt.Sprintf("%d/%d updated, %d/%d ready, %d/%d available", updated, desired, ready, desired, available, desired), Pods: pods}
	}
	return Status{State: StateCurrent, Message: fmt.Sprintf("rolled out, %d/%d available", available, desired), Pods: pods}
}

// replicaSetStatus: every desired pod available and no extra pod left. A
// ReplicaFailure condition (quota, admission) may clear on its own, so it
// is reported but not Failed.
func replicaSetStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	desired := intAt(u, 1, "spec", "replicas")
	replicas := intAt(u, 0, "status", "replicas")
	ready := intAt(u, 0, "status", "readyReplicas")
	available := intAt(u, 0, "status", "availableReplicas")
	pods := &PodCount{Ready: ready, Desired: desired}
	if available >= desired && replicas <= desired {
		return Status{State: StateCurrent, Message: fmt.Sprintf("%d/%d available", available, desired), Pods: pods}
	}
	msg := fmt.Sprintf("%d/%d ready, %d/%d available", ready, desired, available, desired)
	if replicas > desired {
		msg += fmt.Sprintf(", %d extra pods terminating", replicas-desired)
	}
	if c, ok := isTrue(conds, "ReplicaFailure"); ok {
		msg += ": " + c.describe("replica failure")
	}
	return Status{State: StateInProgress, Message: msg, Pods: pods}
}

// jobStatus: ready means complete. A Failed condition, or FailureTarget
// (set first, while the Job's pods are terminating), fails the wait at
// once. A suspended Job waits for someone to resume it.
func jobStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	succeeded := intAt(u, 0, "status", "succeeded")
	counts := fmt.Sprintf("%d succeeded", succeeded)
	if completions, found, _ := unstructured.NestedInt64(u.Object, "spec", "completions"); found {
		counts = fmt.Sprintf("%d/%d succeeded", succeeded, completions)
	}
	if c, ok := isTrue(conds, "Failed"); ok {
		return Status{State: StateFailed, Message: c.describe("")}
	}
	if c, ok := isTrue(conds, "FailureTarget"); ok {
		return Status{State: StateFailed, Message: c.describe("")}
	}
	if _, ok := isTrue(conds, "Complete"); ok {
		return Status{State: StateCurrent, Message: "complete, " + counts}
	}
	if _, ok := isTrue(conds, "Suspended"); ok {
		return Status{State: StateInProgress, Message: "suspended, " + counts}
	}
	return Status{State: StateInProgress, Message: fmt.Sprintf("%s, %d active, %d failed", counts, intAt(u, 0, "status", "active"), intAt(u, 0, "status", "failed"))}
}

// podStatus: a Pod is ready when its Ready condition is true, or done when
// it succeeded. Phase Failed, and a container in CrashLoopBackOff (as
// kstatus), are Failed.
func podStatus(u *unstructured.Unstructured, conds []condition, opts Options) Status {
	phase := stringAt(u, "status", "phase")
	switch phase {
	case "Succeeded":
		return Status{State: StateCurrent, Message: "succeeded"}
	case "Failed":
		c := condition{Reason: stringAt(u, "status", "reason"), Message: stringAt(u, "status", "message")}
		if c.Reason == "" && c.Message == "" {
			c.Message = "phase Failed"
		}
		return Status{State: StateFailed, Message: c.describe("")}
	case "":
		return Status{State: StateInProgress, Message: "not yet observed"}
	}
	if _, ok := isTrue(conds, "Ready"); ok && phase == "Running" {
		return Status{State: StateCurrent, Message: "Ready"}
	}
	if c, ok := findCondition(conds, "PodScheduled"); ok && c.Status == "False" {
		return Status{State: StateInProgress, Message: c.describe("not scheduled")}
	}
	if name, reason, msg := waitingContainer(u); reason != "" {
		text := fmt.Sprintf("container %s waiting: %s", name, reason)
		if msg != "" {
			text += ": " + msg
		}
		if reason == "CrashLoopBackOff" {
			return Status{State: StateFailed, Message: text}
		}
		return Status{State: StateInProgress, Message: text}
	}
	return Status{State: StateInProgress, Message: fmt.Sprintf("%s, not Ready", phase)}
}

// waitingContainer returns the first container (init containers first)
// waiting with a reason.
func waitingContainer(u *unstructured.Unstructured) (name, reason, msg string) {
	for _, field := range []string{"initContainerStatuses", "containerStatuses"} {
		statuses, _, _ := unstructured.NestedSlice(u.Object, "status", field)
		for _, s := range statuses {
			m, ok := s.(map[string]any)
			if !ok {
				continue
			}
			reason, _, _ := unstructured.NestedString(m, "state", "waiting", "reason")
			if reason == "" {
				continue
			}
			name, _, _ := unstructured.NestedString(m, "name")
			msg, _, _ := unstructured.NestedString(m, "state", "waiting", "message")
			return name, reason, msg
		}
	}
	return "", "", ""
}
