package readiness

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const pausedHead = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, generation: 2}\nspec: {replicas: 2, paused: true}\n"

// Issue 13: paused Deployments and custom resources whose CRD has a
// status subresource.
func TestComputePausedAndControlledStatus(t *testing.T) {
	controlled := Options{StatusSubresource: true}
	tests := []struct {
		name string
		obj  string
		opts Options
		want Status
	}{
		{
			name: "paused and rolled out is ready",
			obj:  pausedHead + "status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2}\n",
			want: Status{State: StateCurrent, Message: "rolled out, 2/2 available (paused)", Pods: &PodCount{Ready: 2, Desired: 2}},
		},
		{
			name: "paused and not rolled out fails at once",
			obj:  pausedHead + "status: {observedGeneration: 2, replicas: 2, updatedReplicas: 0, readyReplicas: 2, availableReplicas: 2}\n",
			want: Status{State: StateFailed, Message: "paused: resume it (kubectl rollout resume); 0/2 updated, 2/2 available", Pods: &PodCount{Ready: 2, Desired: 2}},
		},
		{
			name: "controlled custom resource without status",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 1}\nspec: {size: 1}\n",
			opts: controlled,
			want: Status{State: StateInProgress, Message: NoStatusYet},
		},
		{
			name: "controlled custom resource with status caught up",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 1}\nstatus: {observedGeneration: 1}\n",
			opts: controlled,
			want: Status{State: StateCurrent, Message: "status written by its controller"},
		},
		{
			name: "controlled custom resource with a lagging status",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 2}\nstatus: {observedGeneration: 1}\n",
			opts: controlled,
			want: Status{State: StateInProgress, Message: "generation 2 not yet observed by its controller (observed 1)"},
		},
		{
			name: "controlled custom resource not Ready",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 1}\nstatus:\n  conditions: [{type: Ready, status: \"False\", reason: Waiting}]\n",
			opts: controlled,
			want: Status{State: StateInProgress, Message: "not Ready: Waiting"},
		},
		{
			name: "custom resource without a status subresource is ready once it exists",
			obj:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generation: 1}\nspec: {size: 1}\n",
			want: Status{State: StateCurrent, Message: "exists"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ComputeWith(live(t, tc.obj), tc.opts)); diff != "" {
				t.Errorf("ComputeWith (-want +got):\n%s", diff)
			}
		})
	}
}
