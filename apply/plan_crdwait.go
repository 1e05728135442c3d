package apply

import (
	"context"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// clusterCRDBound bounds how long planning waits for a CRD on the cluster
// that is not established yet: the default --crd-timeout.
const clusterCRDBound = time.Minute

// awaitClusterCRD is for a kind the server does not serve and no CRD of
// the bundle defines: when a CRD on the cluster defines it and is only
// not established yet (a run that wrote it a moment ago does not wait for
// a CRD nothing in its bundle needs, issue 19), it waits until it is, and
// reports true: the caller resets its mapper and resolves again. Any
// other case, or a failure to read, is false: the kind stays unknown.
func awaitClusterCRD(ctx context.Context, cfg *dynamicx.Config, gvk schema.GroupVersionKind) bool {
	if cfg == nil || cfg.REST == nil || gvk.Group == "" {
		return false
	}
	dyn, err := dynamic.NewForConfig(cfg.REST)
	if err != nil {
		return false
	}
	crds := dyn.Resource(crdGVR)
	name := clusterCRDName(ctx, crds, gvk)
	if name == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, clusterCRDBound)
	defer cancel()
	for attempt := 0; ; attempt++ {
		w, err := crds.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			return false
		}
		done, err := established(ctx, w)
		w.Stop()
		if done || err != nil || ctx.Err() != nil || attempt >= 10 {
			return done
		}
	}
}

// clusterCRDName names the CRD on the cluster that defines gvk's kind in
// gvk's version, or "". The name is plural.group; the plural is guessed
// as the RESTMapper guesses it, and when no CRD has that name the CRDs of
// the group are looked through (an irregular plural).
func clusterCRDName(ctx context.Context, crds dynamic.NamespaceableResourceInterface, gvk schema.GroupVersionKind) string {
	plural, _ := meta.UnsafeGuessKindToResource(gvk)
	u, err := crds.Get(ctx, plural.Resource+"."+gvk.Group, metav1.GetOptions{})
	if err == nil {
		if definesKind(u, gvk) {
			return u.GetName()
		}
		return ""
	}
	if !apierrors.IsNotFound(err) {
		return ""
	}
	list, err := crds.List(ctx, metav1.ListOptions{})
	if err != nil {
		return ""
	}
	for i := range list.Items {
		if strings.HasSuffix(list.Items[i].GetName(), "."+gvk.Group) && definesKind(&list.Items[i], gvk) {
			return list.Items[i].GetName()
		}
	}
	return ""
}

// definesKind reports whether the CRD defines gvk's kind and serves its
// version.
func definesKind(crd *unstructured.Unstructured, gvk schema.GroupVersionKind) bool {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	if group != gvk.Group || kind != gvk.Kind {
		return false
	}
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		if vm["name"] == gvk.Version && vm["served"] == true {
			return true
		}
	}
	return false
}

// resolveAfterEstablished resolves o once its CRD is established: the
// API server's discovery may serve the kind a moment after the condition
// is set, so the mapper is reset and asked again for a few seconds.
func resolveAfterEstablished(ctx context.Context, mapper meta.ResettableRESTMapper, cfg *dynamicx.Config, o manifests.Object) (*Item, error) {
	deadline := time.Now().Add(discoveryLag)
	for {
		mapper.Reset()
		item, err := resolveItem(ctx, mapper, cfg, o)
		if err == nil || !meta.IsNoMatchError(err) || time.Now().After(deadline) || !dynamicx.Sleep(ctx, 200*time.Millisecond) {
			return item, err
		}
	}
}

// discoveryLag bounds how long an established CRD's kind may be missing
// from discovery.
const discoveryLag = 10 * time.Second
