package apply

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
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
// minutes: the API server builds a resource's storage, and its watch
// cache, on the first request for it; when its CRD finalizer makes that
// request, its list of instances gets "storage is (re)initializing" (on
// the devcluster, for nearly every CRD nobody listed before), and now
// and then it does not try again for minutes
// (operator-framework/operator-controller#1437). Once a list of ours is
// answered the storage is ready, and the finalizer's list is too.
func (a *Applier) prepareCRDDelete(ctx context.Context, name string) (string, error) {
	crd, err := a.Clients.Dynamic.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", nil // the delete reports a missing CRD, or fails the same way
	}
	gvr, ok := servedResource(crd)
	if !ok {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, crdListTimeout)
	defer cancel()
	delay := 200 * time.Millisecond
	for {
		// No limit: a paged list is answered from etcd while the watch
		// cache is not ready; the finalizer's unpaged list, like this
		// one, waits for the cache.
		list, err := a.Clients.Metadata.Resource(gvr).List(ctx, metav1.ListOptions{})
		switch {
		case err == nil:
			return describeInstances(crd, list.Items), nil
		case apierrors.IsNotFound(err) && a.neverServed(ctx, crd):
			return "", nil // no storage, no instances: the finalizer lists nothing
		case apierrors.IsForbidden(err):
			// Trying again will not help; the CRD's delete may be allowed.
			return "custom resources not listed: " + err.Error(), nil
		}
		if !dynamicx.Sleep(ctx, delay) {
			return "", fmt.Errorf("its custom resources (%s) cannot be listed, so it was not deleted (its deletion would hang): %w", gvr.GroupResource(), err)
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// neverServed tells, after a 404 on a CRD's resource, whether it will
// stay unserved: its names were refused (a conflict), so it is never
// established and its finalizer lists nothing. A CRD installed a moment
// ago whose names are not yet accepted, or that the API server's handler
// has not caught up with, is served soon, and the finalizer would then be
// the first to list it: the caller tries again.
func (a *Applier) neverServed(ctx context.Context, crd *unstructured.Unstructured) bool {
	live, err := a.Clients.Dynamic.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
	if err != nil {
		return apierrors.IsNotFound(err)
	}
	return crdCondition(live, "NamesAccepted") == "False"
}

// crdCondition is the status of a CRD's condition of that type, or "".
func crdCondition(crd *unstructured.Unstructured, typ string) string {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == typ {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
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

// describeInstances is what a CRD's deletion takes with it: "with 7
// custom resources (a: 6, b: 1): widget/w1 -n a, ..., and 2 more", the
// count per namespace (the first maxNamed namespaces) and the first
// maxNamed names; "" when there are none.
func describeInstances(crd *unstructured.Unstructured, items []metav1.PartialObjectMetadata) string {
	if len(items) == 0 {
		return ""
	}
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "singular")
	if kind == "" {
		kind, _, _ = unstructured.NestedString(crd.Object, "spec", "names", "plural")
	}
	items = slices.Clone(items)
	slices.SortFunc(items, func(x, y metav1.PartialObjectMetadata) int {
		return cmp.Or(strings.Compare(x.Namespace, y.Namespace), strings.Compare(x.Name, y.Name))
	})
	perNS := map[string]int{}
	var names []string
	for _, m := range items {
		n := kind + "/" + m.Name
		if m.Namespace != "" {
			perNS[m.Namespace]++
			n += " -n " + m.Namespace
		}
		names = append(names, n)
	}
	counts := ""
	if len(perNS) > 0 {
		nss := slices.Sorted(maps.Keys(perNS))
		var parts []string
		for i, ns := range nss {
			if i == maxNamed {
				parts = append(parts, fmt.Sprintf("%d more namespaces", len(nss)-maxNamed))
				break
			}
			parts = append(parts, fmt.Sprintf("%s: %d", ns, perNS[ns]))
		}
		counts = " (" + strings.Join(parts, ", ") + ")"
	}
	if len(names) > maxNamed {
		names = append(names[:maxNamed], fmt.Sprintf("and %d more", len(items)-maxNamed))
	}
	noun := "custom resources"
	if len(items) == 1 {
		noun = "custom resource"
	}
	return fmt.Sprintf("with %d %s%s: %s", len(items), noun, counts, strings.Join(names, ", "))
}

// maxNamed caps the names, and the namespaces, a deletion note lists.
const maxNamed = 5

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
