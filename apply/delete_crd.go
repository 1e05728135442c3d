package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/dynamicx"
)

// crdListTimeout bounds how long a CRD's resource is listed, before the
// CRD is deleted, until the server answers.
const crdListTimeout = time.Minute

// prepareCRDDelete lists the custom resources of a CRD about to be
// deleted, until the server answers, and returns a note naming those the
// deletion takes with it.
//
// A CRD deleted seconds after it was installed can stay Terminating for
// minutes: the API server's CRD finalizer lists its instances, gets
// "storage is (re)initializing" while the resource's watch cache is still
// being built, and does not try again for a long while
// (operator-framework/operator-controller#1437). Once a list of ours is
// answered the storage is ready, and the finalizer's list is too.
func (a *Applier) prepareCRDDelete(ctx context.Context, item *Item) (string, error) {
	crd, err := a.Clients.Dynamic.Resource(crdGVR).Get(ctx, item.Object.GetName(), metav1.GetOptions{})
	if err != nil {
		return "", nil // deleteOne reports a missing CRD, or fails the same way
	}
	gvr, ok := servedResource(crd)
	if !ok {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, crdListTimeout)
	defer cancel()
	delay := 200 * time.Millisecond
	for {
		list, err := a.Clients.Metadata.Resource(gvr).List(ctx, metav1.ListOptions{})
		switch {
		case err == nil:
			return describeInstances(crd, list.Items), nil
		case apierrors.IsNotFound(err):
			return "", nil // not served (never established): no storage, no instances
		}
		if !dynamicx.Sleep(ctx, delay) {
			return "", fmt.Errorf("its custom resources (%s) cannot be listed, so it was not deleted (its deletion would hang): %w", gvr.GroupResource(), err)
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// servedResource is the resource of a CRD in its storage version (else
// the first served one).
func servedResource(crd *unstructured.Unstructured) (schema.GroupVersionResource, bool) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	version := ""
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		name, _ := vm["name"].(string)
		served, _ := vm["served"].(bool)
		storage, _ := vm["storage"].(bool)
		if served && (version == "" || storage) {
			version = name
		}
	}
	if group == "" || plural == "" || version == "" {
		return schema.GroupVersionResource{}, false
	}
	return schema.GroupVersionResource{Group: group, Version: version, Resource: plural}, true
}

// describeInstances is "with 2 custom resources: widget/a -n ns, widget/b
// -n ns" (the first five named), or "" when there are none.
func describeInstances(crd *unstructured.Unstructured, items []metav1.PartialObjectMetadata) string {
	if len(items) == 0 {
		return ""
	}
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "singular")
	var names []string
	for i, m := range items {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(items)-5))
			break
		}
		n := kind + "/" + m.Name
		if m.Namespace != "" {
			n += " -n " + m.Namespace
		}
		names = append(names, n)
	}
	noun := "custom resources"
	if len(items) == 1 {
		noun = "custom resource"
	}
	return fmt.Sprintf("with %d %s: %s", len(items), noun, strings.Join(names, ", "))
}

// terminatingReason is what a CRD being deleted says about its deletion:
// its Terminating condition (InstanceDeletionFailed when the finalizer
// could not list or delete its custom resources).
func terminatingReason(crd *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != "Terminating" || m["status"] != "True" {
			continue
		}
		parts := []string{"Terminating"}
		for _, k := range []string{"reason", "message"} {
			if v, _ := m[k].(string); v != "" {
				parts = append(parts, strings.TrimSuffix(v, "."))
			}
		}
		return strings.Join(parts, ": ")
	}
	return ""
}
