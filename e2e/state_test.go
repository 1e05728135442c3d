//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// objectState reads every object of the resources in namespace ns (every
// object of a cluster-scoped resource when ns is ""), keyed
// "resource/name", as the cluster stores it minus what moves without
// anyone writing the object itself: status, resourceVersion, and the
// managedFields entries of the status subresource. Two reads that differ
// mean that something wrote the object.
func objectState(t *testing.T, kc, ns string, gvrs ...schema.GroupVersionResource) map[string]map[string]any {
	t.Helper()
	dyn := testcluster.Dynamic(t, kc)
	out := map[string]map[string]any{}
	for _, gvr := range gvrs {
		list, err := dyn.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", gvr.Resource, err)
		}
		for _, o := range list.Items {
			o := o.DeepCopy()
			delete(o.Object, "status")
			unstructured.RemoveNestedField(o.Object, "metadata", "resourceVersion")
			var kept []metav1.ManagedFieldsEntry
			for _, mf := range o.GetManagedFields() {
				if mf.Subresource != "status" {
					kept = append(kept, mf)
				}
			}
			o.SetManagedFields(kept)
			out[gvr.Resource+"/"+o.GetName()] = o.Object
		}
	}
	return out
}

// waitDeploymentsSettled waits until the deployment controller has given
// every Deployment of ns its revision annotation, its one write outside
// the status, so that objectState compares what others write.
func waitDeploymentsSettled(t *testing.T, kc, ns string) {
	t.Helper()
	dyn := testcluster.Dynamic(t, kc)
	deadline := time.Now().Add(time.Minute)
	for {
		list, err := dyn.Resource(testcluster.DeploymentsGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, d := range list.Items {
			if d.GetAnnotations()["deployment.kubernetes.io/revision"] == "" {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Deployments of %s have no revision annotation after a minute", pending, ns)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
