package apply

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listThreshold is the number of objects of one resource in one namespace
// from which one metadata LIST is cheaper than a GET per object.
const listThreshold = 8

type groupKey struct {
	gvr schema.GroupVersionResource
	ns  string
}

// snapshot holds the resourceVersions of objects read before a stage, to
// tell created from configured from unchanged without a GET per object.
type snapshot struct {
	mu     sync.Mutex
	listed map[groupKey]map[string]liveMeta // by name
}

// liveMeta is what a write needs to know of the live object.
type liveMeta struct {
	rv         string
	labels     map[string]string
	generation int64
	// managed is every field manager's entry, to tell a change of ours
	// from a controller's status write in between (see changedByUs).
	managed []metav1.ManagedFieldsEntry
}

func metaOf(m *metav1.ObjectMeta) liveMeta {
	return liveMeta{rv: m.ResourceVersion, labels: m.Labels, generation: m.Generation, managed: m.ManagedFields}
}

// prefetch lists, metadata only, every resource and namespace that holds
// listThreshold or more objects of the stage. Failures are ignored: those
// objects are read one by one instead.
func (r *run) prefetch(ctx context.Context, items []*Item) *snapshot {
	snap := &snapshot{listed: map[groupKey]map[string]liveMeta{}}
	if r.opts.Mode != ServerSideApply && r.opts.DryRun != DryRunClient {
		return snap
	}
	forLargeGroups(items, r.opts.Concurrency, func(item *Item) bool { return !r.inNewNamespace(item) }, func(k groupKey) {
		list, err := r.a.Clients.Metadata.Resource(k.gvr).Namespace(k.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return
		}
		rvs := make(map[string]liveMeta, len(list.Items))
		for _, o := range list.Items {
			rvs[o.Name] = metaOf(&o.ObjectMeta)
		}
		snap.mu.Lock()
		snap.listed[k] = rvs
		snap.mu.Unlock()
	})
	return snap
}

// forLargeGroups calls list, at most concurrency at a time, for every
// resource and namespace that holds listThreshold or more of the items
// that want accepts. Items whose kind a CRD of the bundle defines are left
// out: nothing of theirs existed when the run began.
func forLargeGroups(items []*Item, concurrency int, want func(*Item) bool, list func(groupKey)) {
	count := map[groupKey]int{}
	for _, item := range items {
		if !item.ServedByBundle && want(item) {
			count[keyOf(item)]++
		}
	}
	var large []groupKey
	for k, n := range count {
		if n >= listThreshold {
			large = append(large, k)
		}
	}
	parallel{limit: concurrency, work: func(i int) { list(large[i]) }}.run(len(large))
}

func keyOf(item *Item) groupKey {
	k := groupKey{gvr: item.Resolved.GVR}
	if item.Resolved.Namespaced {
		k.ns = item.Resolved.Ref.Namespace
	}
	return k
}

// lookup returns the object's metadata before the write and whether it
// exists, from the snapshot or a metadata GET.
func (r *run) lookup(ctx context.Context, item *Item, snap *snapshot) (live liveMeta, exists bool, err error) {
	if item.ServedByBundle {
		return liveMeta{}, false, nil // its kind did not exist when the run began
	}
	if r.inNewNamespace(item) {
		return liveMeta{}, false, nil // its namespace did not exist when the run began
	}
	snap.mu.Lock()
	rvs, ok := snap.listed[keyOf(item)]
	snap.mu.Unlock()
	if ok {
		live, exists = rvs[item.Object.GetName()]
		return live, exists, nil
	}
	k := keyOf(item)
	m, err := r.a.Clients.Metadata.Resource(k.gvr).Namespace(k.ns).Get(ctx, item.Object.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return liveMeta{}, false, nil
	case err != nil:
		return liveMeta{}, false, fmt.Errorf("read live object: %w", err)
	}
	return metaOf(&m.ObjectMeta), true, nil
}

// inNewNamespace reports whether the item lives in a Namespace of the
// bundle that this run found missing and created (or, in a client dry run,
// would create): nothing was in it when the run began, so there is nothing
// to read before writing. A first apply into new namespaces then sends no
// LIST or GET per group or object (issue 16).
func (r *run) inNewNamespace(item *Item) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, dep := range item.deps {
		if dep.Resolved.Ref.GroupKind() == namespaceGK {
			res := r.results[dep]
			return res != nil && res.Action == Created
		}
	}
	return false
}

// checkOwnership refuses to write an object that another ApplySet owns,
// unless the run adopts such objects.
func (r *run) checkOwnership(labels map[string]string) error {
	if r.set == nil {
		return nil
	}
	return r.set.CheckOwner(labels)
}
