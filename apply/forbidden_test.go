package apply

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/dynamicx"
)

func TestExplainForbidden(t *testing.T) {
	cm := &Item{Resolved: dynamicx.Resolved{
		Ref: dynamicx.Ref{Kind: "ConfigMap", Namespace: "default", Name: "x"},
		GVR: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, Namespaced: true,
	}}
	cr := &Item{Resolved: dynamicx.Resolved{
		Ref: dynamicx.Ref{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "y"},
		GVR: schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	}}
	cmDenied := apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "x",
		errors.New(`User "restricted" cannot get resource "configmaps" in API group "" in the namespace "default"`))
	crDenied := apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, "y",
		errors.New(`User "restricted" cannot patch resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope`))
	admission := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "p", errors.New(`violates PodSecurity "restricted:latest"`))
	tests := []struct {
		name  string
		item  *Item
		opts  Options
		err   error
		want  string
		typed bool
	}{
		{
			name: "a refused read under server-side apply names the write too",
			item: cm, opts: DefaultOptions(), err: fmt.Errorf("read live object: %w", cmDenied), typed: true,
			want: `read live object: configmaps "x" is forbidden: User "restricted" cannot get resource "configmaps" in API group "" in the namespace "default" ` +
				`(server-side apply needs get, patch on resource "configmaps" in API group "" in the namespace "default")`,
		},
		{
			name: "update mode, cluster scope",
			item: cr, opts: Options{Mode: Update}, err: crDenied, typed: true,
			want: `clusterroles.rbac.authorization.k8s.io "y" is forbidden: User "restricted" cannot patch resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope ` +
				`(update needs get, create, patch on resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope)`,
		},
		{
			name: "create mode",
			item: cm, opts: Options{Mode: Create}, err: cmDenied, typed: true,
			want: cmDenied.Error() + ` (create needs create on resource "configmaps" in API group "" in the namespace "default")`,
		},
		{
			name: "client dry run",
			item: cm, opts: Options{Mode: ServerSideApply, DryRun: DryRunClient}, err: cmDenied, typed: true,
			want: cmDenied.Error() + ` (a client-side dry run needs get on resource "configmaps" in API group "" in the namespace "default")`,
		},
		{name: "admission's 403 is not about rights", item: cm, opts: DefaultOptions(), err: admission, want: admission.Error()},
		{name: "other errors pass", item: cm, opts: DefaultOptions(), err: apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, "x", errors.New("c")), want: `Operation cannot be fulfilled on configmaps "x": c`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, verbs := tc.opts.stepVerbs()
			got := explainForbidden(tc.err, tc.item, step, verbs...)
			if got.Error() != tc.want {
				t.Errorf("message\n got %s\nwant %s", got, tc.want)
			}
			var fe *ForbiddenError
			if errors.As(got, &fe) != tc.typed {
				t.Errorf("errors.As(*ForbiddenError) = %v, want %v", !tc.typed, tc.typed)
			}
			if !errors.Is(got, tc.err) {
				t.Error("the server's error is not in the chain")
			}
		})
	}
	if err := explainForbidden(nil, cm, "x"); err != nil {
		t.Errorf("explainForbidden(nil) = %v", err)
	}
}
