package readiness

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kapply-dev/kapply/manifests"
)

// live decodes a hand-written live object with kapply's own decoder, so
// that numbers are int64 as they are when read from the API server.
func live(t *testing.T, text string) *unstructured.Unstructured {
	t.Helper()
	objs, err := manifests.Decode("test.yaml", []byte(text))
	if err != nil || len(objs) != 1 {
		t.Fatalf("decode: %v (%d objects)", err, len(objs))
	}
	return objs[0].Obj
}

const deploymentHead = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 2}
spec: {replicas: 2}
`

func TestComputeWorkloads(t *testing.T) {
	tests := []struct {
		name string
		obj  string
		want Status
	}{
		{
			name: "deployment rolled out",
			obj: deploymentHead + `status:
  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  readyReplicas: 2
  availableReplicas: 2
  conditions:
  - {type: Available, status: "True", reason: MinimumReplicasAvailable}
  - {type: Progressing, status: "True", reason: NewReplicaSetAvailable}
`,
			want: Status{State: StateCurrent, Message: "rolled out, 2/2 available", Pods: &PodCount{Ready: 2, Desired: 2}},
		},
		{
			name: "deployment in progress names counts and the unavailable condition",
			obj: deploymentHead + `status:
  observedGeneration: 2
  replicas: 3
  updatedReplicas: 1
  readyReplicas: 2
  availableReplicas: 2
  conditions:
  - {type: Available, status: "False", reason: MinimumReplicasUnavailable, message: Deployment does not have minimum availability.}
  - {type: Progressing, status: "True", reason: ReplicaSetUpdated, message: ReplicaSet "web-1" is progressing.}
`,
			want: Status{State: StateInProgress, Message: "1/2 updated, 2/2 ready, 2/2 available, 2 old: Deployment does not have minimum availability", Pods: &PodCount{Ready: 2, Desired: 2}},
		},
		{
			name: "deployment with old pods left is not rolled out",
			obj: deploymentHead + `status:
  observedGeneration: 2
  replicas: 3
  updatedReplicas: 2
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - {type: Progressing, status: "True", reason: ReplicaSetUpdated, message: ReplicaSet "web-2" is progressing.}
`,
			want: Status{State: StateInProgress, Message: `2/2 updated, 3/2 ready, 3/2 available, 1 old: ReplicaSet "web-2" is progressing`, Pods: &PodCount{Ready: 3, Desired: 2}},
		},
		{
			name: "deployment past its progress deadline fails",
			obj: deploymentHead + `status:
  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  conditions:
  - {type: Available, status: "False", reason: MinimumReplicasUnavailable, message: Deployment does not have minimum availability.}
  - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded, message: ReplicaSet "web-1" has timed out progressing.}
`,
			want: Status{State: StateFailed, Message: `ProgressDeadlineExceeded: ReplicaSet "web-1" has timed out progressing`, Pods: &PodCount{Ready: 0, Desired: 2}},
		},
		{
			name: "deployment status of an older generation is not trusted",
			obj: deploymentHead + `status:
  observedGeneration: 1
  replicas: 2
  updatedReplicas: 2
  readyReplicas: 2
  availableReplicas: 2
`,
			want: Status{State: StateInProgress, Message: "generation 2 not yet observed by its controller (observed 1)"},
		},
		{
			name: "deployment scaled to zero not yet seen by its controller",
			obj:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, generation: 1}\nspec: {replicas: 0}\n",
			want: Status{State: StateInProgress, Message: "not yet observed by its controller"},
		},
		{
			name: "deployment being deleted",
			obj:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, deletionTimestamp: \"2026-01-01T00:00:00Z\"}\n",
			want: Status{State: StateTerminating, Message: "being deleted"},
		},
		{
			name: "statefulset rolled out",
			obj: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 1}
spec: {replicas: 3}
status: {observedGeneration: 1, replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, currentRevision: db-1, updateRevision: db-1}
`,
			want: Status{State: StateCurrent, Message: "rolled out, 3/3 ready", Pods: &PodCount{Ready: 3, Desired: 3}},
		},
		{
			name: "statefulset revision not caught up",
			obj: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 2}
spec: {replicas: 3}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 1, currentRevision: db-1, updateRevision: db-2}
`,
			want: Status{State: StateInProgress, Message: "1/3 updated, rollout in progress", Pods: &PodCount{Ready: 3, Desired: 3}},
		},
		{
			name: "statefulset partition reached",
			obj: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 2}
spec: {replicas: 3, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 3, updatedReplicas: 1, currentRevision: db-1, updateRevision: db-2}
`,
			want: Status{State: StateCurrent, Message: "partitioned rollout done, 1 updated", Pods: &PodCount{Ready: 3, Desired: 3}},
		},
		{
			name: "daemonset not available everywhere",
			obj: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, generation: 1}
status: {observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 1, numberAvailable: 1}
`,
			want: Status{State: StateInProgress, Message: "2/2 updated, 1/2 ready, 1/2 available", Pods: &PodCount{Ready: 1, Desired: 2}},
		},
		{
			name: "daemonset rolled out",
			obj: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, generation: 1}
status: {observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 2, numberAvailable: 2}
`,
			want: Status{State: StateCurrent, Message: "rolled out, 2/2 available", Pods: &PodCount{Ready: 2, Desired: 2}},
		},
		{
			name: "replicaset with a replica failure",
			obj: `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, generation: 1}
spec: {replicas: 2}
status:
  observedGeneration: 1
  replicas: 1
  readyReplicas: 1
  availableReplicas: 1
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, message: exceeded quota}
`,
			want: Status{State: StateInProgress, Message: "1/2 ready, 1/2 available: replica failure: FailedCreate: exceeded quota", Pods: &PodCount{Ready: 1, Desired: 2}},
		},
		{
			name: "job complete",
			obj: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, generation: 1}
spec: {completions: 1}
status:
  succeeded: 1
  conditions:
  - {type: SuccessCriteriaMet, status: "True", reason: CompletionsReached}
  - {type: Complete, status: "True", reason: CompletionsReached}
`,
			want: Status{State: StateCurrent, Message: "complete, 1/1 succeeded"},
		},
		{
			name: "job running",
			obj: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, generation: 1}
spec: {completions: 3}
status: {succeeded: 1, active: 2}
`,
			want: Status{State: StateInProgress, Message: "1/3 succeeded, 2 active, 0 failed"},
		},
		{
			name: "job failed",
			obj: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, generation: 1}
status:
  failed: 1
  conditions:
  - {type: FailureTarget, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}
  - {type: Failed, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}
`,
			want: Status{State: StateFailed, Message: "BackoffLimitExceeded: Job has reached the specified backoff limit"},
		},
		{
			name: "job failing while its pods terminate",
			obj: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, generation: 1}
status:
  conditions:
  - {type: FailureTarget, status: "True", reason: DeadlineExceeded, message: Job was active longer than specified deadline}
`,
			want: Status{State: StateFailed, Message: "DeadlineExceeded: Job was active longer than specified deadline"},
		},
		{
			name: "job suspended",
			obj: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, generation: 1}
status:
  conditions:
  - {type: Suspended, status: "True", reason: JobSuspended}
`,
			want: Status{State: StateInProgress, Message: "suspended, 0 succeeded"},
		},
	}
	runComputeTests(t, tests)
}

func TestComputePods(t *testing.T) {
	head := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
	tests := []struct {
		name string
		obj  string
		want Status
	}{
		{
			name: "running and ready",
			obj:  head + "status:\n  phase: Running\n  conditions: [{type: Ready, status: \"True\"}]\n",
			want: Status{State: StateCurrent, Message: "Ready"},
		},
		{
			name: "succeeded",
			obj:  head + "status: {phase: Succeeded}\n",
			want: Status{State: StateCurrent, Message: "succeeded"},
		},
		{
			name: "failed",
			obj:  head + "status: {phase: Failed, reason: Evicted, message: low on memory}\n",
			want: Status{State: StateFailed, Message: "Evicted: low on memory"},
		},
		{
			name: "unschedulable",
			obj:  head + "status:\n  phase: Pending\n  conditions: [{type: PodScheduled, status: \"False\", reason: Unschedulable, message: 0/1 nodes are available.}]\n",
			want: Status{State: StateInProgress, Message: "not scheduled: Unschedulable: 0/1 nodes are available"},
		},
		{
			name: "crash looping",
			obj:  head + "status:\n  phase: Running\n  conditions: [{type: Ready, status: \"False\"}]\n  containerStatuses: [{name: app, state: {waiting: {reason: CrashLoopBackOff, message: back-off 5m0s}}}]\n",
			want: Status{State: StateFailed, Message: "container app waiting: CrashLoopBackOff: back-off 5m0s"},
		},
		{
			name: "pulling its image",
			obj:  head + "status:\n  phase: Pending\n  containerStatuses: [{name: app, state: {waiting: {reason: ContainerCreating}}}]\n",
			want: Status{State: StateInProgress, Message: "container app waiting: ContainerCreating"},
		},
		{
			name: "not yet observed",
			obj:  head,
			want: Status{State: StateInProgress, Message: "not yet observed"},
		},
	}
	runComputeTests(t, tests)
}

func TestComputeOtherKinds(t *testing.T) {
	tests := []struct {
		name string
		obj  string
		want Status
	}{
		{name: "pvc bound", obj: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nstatus: {phase: Bound}\n", want: Status{State: StateCurrent, Message: "Bound"}},
		{name: "pvc pending", obj: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nstatus: {phase: Pending}\n", want: Status{State: StateInProgress, Message: "Pending, not Bound"}},
		{name: "pvc lost", obj: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nstatus: {phase: Lost}\n", want: Status{State: StateFailed, Message: "Lost: its volume no longer exists"}},
		{
			name: "crd established",
			obj:  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\nstatus:\n  conditions: [{type: NamesAccepted, status: \"True\"}, {type: Established, status: \"True\"}]\n",
			want: Status{State: StateCurrent, Message: "Established"},
		},
		{
			name: "crd installing",
			obj:  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\nstatus:\n  conditions: [{type: Established, status: \"False\", reason: Installing}]\n",
			want: Status{State: StateInProgress, Message: "not yet established"},
		},
		{
			name: "crd names rejected",
			obj:  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\nstatus:\n  conditions: [{type: NamesAccepted, status: \"False\", reason: ListKindConflict, message: '\"WidgetList\" is already in use'}]\n",
			want: Status{State: StateFailed, Message: `names not accepted: ListKindConflict: "WidgetList" is already in use`},
		},
		{name: "namespace active", obj: "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\nstatus: {phase: Active}\n", want: Status{State: StateCurrent, Message: "Active"}},
		{name: "namespace terminating", obj: "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\nstatus: {phase: Terminating}\n", want: Status{State: StateTerminating, Message: "being deleted"}},
		{
			name: "apiservice unavailable",
			obj:  "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.metrics.k8s.io}\nstatus:\n  conditions: [{type: Available, status: \"False\", reason: MissingEndpoints, message: endpoints for service/metrics-server have no addresses}]\n",
			want: Status{State: StateInProgress, Message: "not Available: MissingEndpoints: endpoints for service/metrics-server have no addresses"},
		},
		{
			name: "apiservice available",
			obj:  "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.apps}\nstatus:\n  conditions: [{type: Available, status: \"True\", reason: Local}]\n",
			want: Status{State: StateCurrent, Message: "Available"},
		},
		{
			name: "custom resource with Ready true",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 3}\nstatus:\n  observedGeneration: 3\n  conditions: [{type: Ready, status: \"True\", reason: Reconciled}]\n",
			want: Status{State: StateCurrent, Message: "Ready"},
		},
		{
			name: "custom resource with Ready false",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 3}\nstatus:\n  observedGeneration: 3\n  conditions: [{type: Ready, status: \"False\", reason: Provisioning, message: waiting for the database}]\n",
			want: Status{State: StateInProgress, Message: "not Ready: Provisioning: waiting for the database"},
		},
		{
			name: "custom resource with a stale status",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 3}\nstatus:\n  observedGeneration: 2\n  conditions: [{type: Ready, status: \"True\"}]\n",
			want: Status{State: StateInProgress, Message: "generation 3 not yet observed by its controller (observed 2)"},
		},
		{
			name: "custom resource stalled",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 1}\nstatus:\n  conditions: [{type: Stalled, status: \"True\", reason: InvalidSpec, message: size must be positive}]\n",
			want: Status{State: StateFailed, Message: "stalled: InvalidSpec: size must be positive"},
		},
		{
			name: "custom resource without status",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 1}\nspec: {size: 1}\n",
			want: Status{State: StateCurrent, Message: "exists"},
		},
		{name: "configmap", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", want: Status{State: StateCurrent, Message: "exists"}},
		{name: "clusterip service", obj: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}\n", want: Status{State: StateCurrent, Message: "exists"}},
		{name: "loadbalancer service not waited for", obj: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer}\n", want: Status{State: StateCurrent, Message: "exists"}},
	}
	runComputeTests(t, tests)
}

func TestComputeLoadBalancers(t *testing.T) {
	opts := Options{WaitForLoadBalancer: true}
	tests := []struct {
		name string
		obj  string
		want Status
	}{
		{
			name: "service without an address",
			obj:  "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer}\nstatus: {loadBalancer: {}}\n",
			want: Status{State: StateInProgress, Message: "waiting for a load-balancer address"},
		},
		{
			name: "service with an address",
			obj:  "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer}\nstatus: {loadBalancer: {ingress: [{ip: 192.0.2.10}]}}\n",
			want: Status{State: StateCurrent, Message: "load balancer at 192.0.2.10"},
		},
		{
			name: "clusterip service needs no address",
			obj:  "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}\n",
			want: Status{State: StateCurrent, Message: "exists"},
		},
		{
			name: "ingress without an address",
			obj:  "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, generation: 1}\n",
			want: Status{State: StateInProgress, Message: "waiting for a load-balancer address"},
		},
		{
			name: "ingress with a hostname",
			obj:  "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, generation: 1}\nstatus: {loadBalancer: {ingress: [{hostname: lb.example.com}]}}\n",
			want: Status{State: StateCurrent, Message: "load balancer at lb.example.com"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ComputeWith(live(t, tc.obj), opts)); diff != "" {
				t.Errorf("ComputeWith (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComputeNilIsNotFound(t *testing.T) {
	if got := Compute(nil); got.State != StateNotFound {
		t.Errorf("Compute(nil) = %+v, want NotFound", got)
	}
}

func runComputeTests(t *testing.T, tests []struct {
	name string
	obj  string
	want Status
}) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Compute(live(t, tc.obj))); diff != "" {
				t.Errorf("Compute (-want +got):\n%s", diff)
			}
		})
	}
}
