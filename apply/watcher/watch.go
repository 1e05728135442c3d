package watcher

import (
	"context"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/dynamicx"
)

// Backoff between attempts to list or watch again after an error or a
// watch that ended at once; a watch that ran for a while is reopened
// straight away.
const (
	retryMin = 500 * time.Millisecond
	retryMax = 8 * time.Second
)

// watchGroup is the targets of one resource in one namespace ("" for
// cluster-scoped resources): one list+watch serves them all.
type watchGroup struct {
	gvr       schema.GroupVersionResource
	gvk       schema.GroupVersionKind
	namespace string
	// metadataOnly: the kind is ready once it exists, so read metadata
	// only (a Secret's data never has to leave the server).
	metadataOnly bool
	// statusSubresource: a custom resource whose CRD has a status
	// subresource (see readiness.Options.StatusSubresource); set before
	// the first list.
	statusSubresource bool
	byName            map[string][]int // target indexes
}

// observation is a target's status as last read.
type observation struct {
	idx    int
	status readiness.Status
}

// groupTargets groups targets by resource and namespace, in a stable
// order; with forWait, targets annotated to be skipped are left out.
func groupTargets(targets []Target, forWait bool) []*watchGroup {
	type key struct {
		gvr schema.GroupVersionResource
		ns  string
	}
	groups := map[key]*watchGroup{}
	var order []key
	for i, t := range targets {
		if forWait && t.SkipWait {
			continue
		}
		k := key{gvr: t.Resolved.GVR}
		if t.Resolved.Namespaced {
			k.ns = t.Resolved.Ref.Namespace
		}
		g, ok := groups[k]
		if !ok {
			gk := t.Resolved.Ref.GroupKind()
			g = &watchGroup{
				gvr: k.gvr, namespace: k.ns, byName: map[string][]int{},
				gvk:          gk.WithVersion(k.gvr.Version),
				metadataOnly: gk == schema.GroupKind{Kind: "Secret"} || gk == schema.GroupKind{Kind: "ConfigMap"},
			}
			groups[k] = g
			order = append(order, k)
		}
		g.byName[t.Resolved.Ref.Name] = append(g.byName[t.Resolved.Ref.Name], i)
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].gvr.String() != order[j].gvr.String() {
			return order[i].gvr.String() < order[j].gvr.String()
		}
		return order[i].ns < order[j].ns
	})
	out := make([]*watchGroup, len(order))
	for i, k := range order {
		out[i] = groups[k]
	}
	return out
}

// listOptions selects the group's one object by name on the server, or
// everything when the group holds several (filtered here).
func (g *watchGroup) listOptions() metav1.ListOptions {
	var opts metav1.ListOptions
	if len(g.byName) == 1 {
		for name := range g.byName {
			opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}
	}
	return opts
}

// observe returns the status of the targets named like obj (nil: deleted).
func (g *watchGroup) observe(name string, obj *unstructured.Unstructured, ready readiness.Options) []observation {
	var out []observation
	for _, idx := range g.byName[name] {
		ready.StatusSubresource = g.statusSubresource
		out = append(out, observation{idx: idx, status: readiness.ComputeWith(obj, ready)})
	}
	return out
}

// observeList returns the status of every target from a full list: those
// not in it do not exist.
func (g *watchGroup) observeList(objs []*unstructured.Unstructured, ready readiness.Options) []observation {
	found := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		if _, ok := g.byName[o.GetName()]; ok {
			found[o.GetName()] = o
		}
	}
	var out []observation
	for name := range g.byName {
		out = append(out, g.observe(name, found[name], ready)...)
	}
	return out
}

// unreadable gives every target of the group the error that kept it from
// being read.
func (g *watchGroup) unreadable(err error) []observation {
	st := readiness.Status{State: readiness.StateUnknown, Message: fmt.Sprintf("cannot read: %v", err)}
	if apierrors.IsNotFound(err) {
		// The resource itself is not served: its CRD is missing or not
		// yet established.
		st = readiness.Status{State: readiness.StateNotFound, Message: fmt.Sprintf("the server does not serve %s", g.gvr.GroupResource())}
	}
	var out []observation
	for _, idxs := range g.byName {
		for _, idx := range idxs {
			out = append(out, observation{idx: idx, status: st})
		}
	}
	return out
}

// groupWatcher reads groups of targets and reports what it sees.
type groupWatcher struct {
	clients *dynamicx.Clients
	ready   readiness.Options
	crds    *statusSubresources
	// serverTimeout and watchEnded are for tests: the server ends each
	// watch after serverTimeout seconds, and watchEnded is told.
	serverTimeout *int64
	watchEnded    func()
}

// run lists the group, then watches it from the list's resourceVersion,
// sending each status it computes on out, until ctx ends.
func (w *groupWatcher) run(ctx context.Context, g *watchGroup, out chan<- []observation) {
	delay := retryMin
	backoff := func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		delay = min(2*delay, retryMax)
	}
	g.statusSubresource = w.crds.lookup(ctx, g.gvr, g.gvk.GroupKind())
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			objs, listRV, err := w.list(ctx, g)
			if err != nil {
				if ctx.Err() == nil {
					send(ctx, out, g.unreadable(err))
					backoff()
				}
				continue
			}
			if !send(ctx, out, g.observeList(objs, w.ready)) {
				return
			}
			rv = listRV
		}
		started := time.Now()
		var err error
		rv, err = w.follow(ctx, g, rv, out)
		if err != nil || time.Since(started) < time.Second {
			backoff()
		} else {
			delay = retryMin
		}
	}
}

// follow watches the group from rv until the watch ends, and returns the
// resourceVersion to watch from next: "" means list again first (the
// watch could not be opened, expired or reported an error).
func (w *groupWatcher) follow(ctx context.Context, g *watchGroup, rv string, out chan<- []observation) (string, error) {
	opts := g.listOptions()
	opts.ResourceVersion = rv
	opts.AllowWatchBookmarks = true
	opts.TimeoutSeconds = w.serverTimeout
	var wi watch.Interface
	var err error
	if g.metadataOnly {
		wi, err = w.clients.Metadata.Resource(g.gvr).Namespace(g.namespace).Watch(ctx, opts)
	} else {
		wi, err = w.clients.Dynamic.Resource(g.gvr).Namespace(g.namespace).Watch(ctx, opts)
	}
	if err != nil {
		return "", err
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, nil
		case ev, ok := <-wi.ResultChan():
			if !ok {
				if w.watchEnded != nil {
					w.watchEnded()
				}
				return rv, nil
			}
			if ev.Type == watch.Error {
				return "", apierrors.FromObject(ev.Object)
			}
			obj, ok := g.toUnstructured(ev.Object)
			if !ok {
				continue
			}
			rv = obj.GetResourceVersion()
			var batch []observation
			switch ev.Type {
			case watch.Added, watch.Modified:
				batch = g.observe(obj.GetName(), obj, w.ready)
			case watch.Deleted:
				batch = g.observe(obj.GetName(), nil, w.ready)
			}
			if len(batch) > 0 && !send(ctx, out, batch) {
				return rv, nil
			}
		}
	}
}

// list reads the group's objects and the resourceVersion to watch from.
func (w *groupWatcher) list(ctx context.Context, g *watchGroup) ([]*unstructured.Unstructured, string, error) {
	opts := g.listOptions()
	if g.metadataOnly {
		list, err := w.clients.Metadata.Resource(g.gvr).Namespace(g.namespace).List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		objs := make([]*unstructured.Unstructured, len(list.Items))
		for i := range list.Items {
			objs[i] = g.fromMetadata(&list.Items[i])
		}
		return objs, list.ResourceVersion, nil
	}
	list, err := w.clients.Dynamic.Resource(g.gvr).Namespace(g.namespace).List(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	objs := make([]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		objs[i] = &list.Items[i]
	}
	return objs, list.GetResourceVersion(), nil
}

func (g *watchGroup) toUnstructured(obj runtime.Object) (*unstructured.Unstructured, bool) {
	switch o := obj.(type) {
	case *unstructured.Unstructured:
		return o, true
	case *metav1.PartialObjectMetadata:
		return g.fromMetadata(o), true
	}
	return nil, false
}

// fromMetadata rebuilds what the readiness rules read of an object known
// by its metadata only.
func (g *watchGroup) fromMetadata(m *metav1.PartialObjectMetadata) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(g.gvk)
	u.SetName(m.Name)
	u.SetNamespace(m.Namespace)
	u.SetResourceVersion(m.ResourceVersion)
	u.SetGeneration(m.Generation)
	u.SetDeletionTimestamp(m.DeletionTimestamp)
	return u
}

// send delivers a batch unless ctx ends first.
func send(ctx context.Context, out chan<- []observation, batch []observation) bool {
	select {
	case out <- batch:
		return true
	case <-ctx.Done():
		return false
	}
}
