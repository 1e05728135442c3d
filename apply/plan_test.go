package apply

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// testMapper knows a handful of built-in kinds, as a server would.
func testMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range []struct {
		gvk        schema.GroupVersionKind
		namespaced bool
	}{
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, false},
		{schema.GroupVersionKind{Version: "v1", Kind: "Service"}, true},
		{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, true},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, true},
		{schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}, true},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, false},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"}, false},
		{schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"}, false},
		{schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}, false},
	} {
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		m.Add(k.gvk, scope)
	}
	return m
}

func obj(i int, apiVersion, kind, ns, name string, extra map[string]any) manifests.Object {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	for k, v := range extra {
		u.Object[k] = v
	}
	u.SetName(name)
	if ns != "" {
		u.SetNamespace(ns)
	}
	return manifests.Object{Obj: u, Source: manifests.Source{Path: "bundle.yaml", Doc: i, Line: i * 10}}
}

var widgetCRD = map[string]any{"spec": map[string]any{
	"group": "example.com", "scope": "Namespaced",
	"names":    map[string]any{"kind": "Widget", "plural": "widgets"},
	"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true}},
}}

func TestPlanOrdersByStageAndKeepsInputOrderWithin(t *testing.T) {
	objs := []manifests.Object{
		obj(1, "admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", "hook", nil),
		obj(2, "networking.k8s.io/v1", "Ingress", "app", "web", nil),
		obj(3, "apps/v1", "Deployment", "app", "web", nil),
		obj(4, "example.com/v1", "Widget", "app", "w", nil),
		obj(5, "v1", "Service", "app", "web", nil),
		obj(6, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "crb", nil),
		obj(7, "rbac.authorization.k8s.io/v1", "ClusterRole", "", "cr", nil),
		obj(8, "v1", "ConfigMap", "", "defaulted", nil),
		obj(9, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com", widgetCRD),
		obj(10, "v1", "Namespace", "", "app", nil),
	}
	cfg := &dynamicx.Config{Namespace: "default"}
	plan, err := MakePlan(context.Background(), testMapper(), cfg, objs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for stage, items := range plan.Stages {
		for _, it := range items {
			got = append(got, strings.Repeat(" ", stage)+it.Resolved.Ref.String())
		}
	}
	want := []string{
		"customresourcedefinition.apiextensions.k8s.io/widgets.example.com",
		"namespace/app",
		" clusterrole.rbac.authorization.k8s.io/cr",
		" configmap/defaulted -n default",
		"  service/web -n app",
		"  clusterrolebinding.rbac.authorization.k8s.io/crb",
		"   deployment.apps/web -n app",
		"   widget.example.com/w -n app",
		"    ingress.networking.k8s.io/web -n app",
		"     validatingwebhookconfiguration.admissionregistration.k8s.io/hook",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan order (-want +got):\n%s", diff)
	}

	widget := plan.Items[3]
	if !widget.ServedByBundle || widget.Resolved.GVR.Resource != "widgets" {
		t.Errorf("widget resolved as %+v, ServedByBundle=%v; want widgets from the bundle's CRD", widget.Resolved, widget.ServedByBundle)
	}
	var deps []string
	for _, d := range widget.deps {
		deps = append(deps, d.Resolved.Ref.KindName())
	}
	if diff := cmp.Diff([]string{"customresourcedefinition.apiextensions.k8s.io/widgets.example.com", "namespace/app"}, deps); diff != "" {
		t.Errorf("widget deps (-want +got):\n%s", diff)
	}
}

func TestPlanCollectsEveryError(t *testing.T) {
	objs := []manifests.Object{
		obj(1, "example.com/v1", "Gadget", "", "g", nil),
		obj(2, "v1", "ConfigMap", "elsewhere", "cm", nil),
		obj(3, "rbac.authorization.k8s.io/v1", "ClusterRole", "ns", "cr", nil),
		obj(4, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com", widgetCRD),
		obj(5, "example.com/v2", "Widget", "", "w", nil),
	}
	cfg := &dynamicx.Config{Namespace: "app", NamespaceExplicit: true}
	_, err := MakePlan(context.Background(), testMapper(), cfg, objs)
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PlanError", err)
	}
	var got []string
	for _, e := range pe.Errs {
		got = append(got, e.Error())
	}
	want := []string{
		`bundle.yaml#1:10: gadget.example.com/g: unknown kind "Gadget" in version "example.com/v1": the server has no such API and no CRD in the input defines it`,
		`bundle.yaml#2:20: configmap/cm: namespace mismatch: configmap/cm names namespace "elsewhere" but -n is "app"`,
		`bundle.yaml#3:30: clusterrole.rbac.authorization.k8s.io/cr: cluster-scoped object with a namespace: clusterrole.rbac.authorization.k8s.io/cr is cluster-scoped but names namespace "ns": remove metadata.namespace`,
		`bundle.yaml#5:50: widget.example.com/w: version "v2" is not served by the CRD in bundle.yaml#4`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan errors (-want +got):\n%s", diff)
	}
	if !IsUnknownKind(pe.Errs[0]) {
		t.Error("IsUnknownKind is false for an unknown kind")
	}
}

// Two documents that are one object only once the namespace is defaulted
// are a plan error naming both (issue 12, D).
func TestPlanRefusesDuplicatesAfterNamespaceDefaulting(t *testing.T) {
	objs := []manifests.Object{
		obj(1, "v1", "ConfigMap", "", "settings", nil),
		obj(2, "v1", "ConfigMap", "other", "settings", nil),
		obj(3, "v1", "ConfigMap", "default", "settings", nil),
		obj(4, "apps/v1", "Deployment", "default", "web", nil),
		obj(5, "apps/v1", "Deployment", "", "web", nil),
	}
	_, err := MakePlan(context.Background(), testMapper(), &dynamicx.Config{Namespace: "default"}, objs)
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("MakePlan: %v, want a *PlanError", err)
	}
	var got []string
	for _, e := range pe.Errs {
		got = append(got, e.Error())
	}
	want := []string{
		`bundle.yaml#3:30: configmap/settings: duplicate object in namespace "default" once the namespace is defaulted: also defined at bundle.yaml#1:10 (no namespace there, namespace "default" here)`,
		`bundle.yaml#5:50: deployment.apps/web: duplicate object in namespace "default" once the namespace is defaulted: also defined at bundle.yaml#4:40 (namespace "default" there, no namespace here)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan errors (-want +got):\n%s", diff)
	}
}

// The plan shares the decoded objects instead of copying them (issue 16):
// settling the namespace and labelling members must still leave the
// caller's objects as they were.
func TestPlanLeavesInputUnchanged(t *testing.T) {
	objs := []manifests.Object{
		obj(0, "v1", "ConfigMap", "", "no-namespace", map[string]any{"data": map[string]any{"a": "b"}}),
		obj(1, "v1", "ConfigMap", "default", "with-namespace", map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "x"}}}),
	}
	objs[1].Obj.SetName("with-namespace")
	objs[1].Obj.SetNamespace("default")
	before := []*unstructured.Unstructured{objs[0].Obj.DeepCopy(), objs[1].Obj.DeepCopy()}
	plan, err := MakePlan(context.Background(), testMapper(), &dynamicx.Config{Namespace: "default"}, objs)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Items[0].Object.GetNamespace(); got != "default" {
		t.Fatalf("planned namespace: got %q, want default", got)
	}
	labelMembers(&applyset.Set{ID: "applyset-x"}, plan)
	for i, item := range plan.Items {
		if item.Object.GetLabels()[applyset.PartOfLabel] != "applyset-x" {
			t.Errorf("item %d: no part-of label: %v", i, item.Object.GetLabels())
		}
		if diff := cmp.Diff(before[i].Object, objs[i].Obj.Object); diff != "" {
			t.Errorf("input object %d changed by the plan (-before +after):\n%s", i, diff)
		}
	}
}
