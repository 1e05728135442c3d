package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// DiffOptions configures Diff. The dry run is the request apply would send,
// so these are apply's settings that shape that request.
type DiffOptions struct {
	FieldManager   string
	ForceConflicts bool
	// ForceReplace is apply's Options.ForceReplace.
	ForceReplace bool
	// MigrateFrom is apply's Options.MigrateFrom: the diff shows the
	// fields that taking over those managers' fields would remove.
	MigrateFrom []string
	Validation  Validation
	// Concurrency is the number of objects compared in parallel.
	Concurrency int
	// ApplySet, when set, diffs as apply --applyset would apply (members
	// carry the part-of label) and, with Prune, lists the members that
	// apply --prune would delete.
	ApplySet *applyset.Options
}

// DefaultDiffOptions returns the settings that match DefaultOptions.
func DefaultDiffOptions() DiffOptions {
	d := DefaultOptions()
	return DiffOptions{FieldManager: d.FieldManager, Validation: d.Validation, Concurrency: d.Concurrency}
}

// Validate reports options that cannot be used.
func (o *DiffOptions) Validate() error {
	var errs []error
	switch o.Validation {
	case ValidateStrict, ValidateWarn, ValidateIgnore:
	default:
		errs = append(errs, fmt.Errorf("unknown validation %q: use strict, warn or ignore", o.Validation))
	}
	if o.FieldManager == "" {
		errs = append(errs, errors.New("a field manager is required"))
	}
	if o.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency must be at least 1, got %d", o.Concurrency))
	}
	return errors.Join(errs...)
}

// DiffAction is what apply would do to one object.
type DiffAction string

// Diff outcomes per object.
const (
	DiffCreate    DiffAction = "create"
	DiffUpdate    DiffAction = "update"
	DiffUnchanged DiffAction = "unchanged"
	// DiffImmutable: apply would be refused because a field that cannot
	// change would change; Paths lists those fields.
	DiffImmutable DiffAction = "immutable"
	// DiffReplace: a field that cannot change would change, and apply
	// would delete and re-create the object (ReplaceAnnotation,
	// --force-replace); Paths lists those fields.
	DiffReplace DiffAction = "replace"
	// DiffError: the object could not be compared; Err says why.
	DiffError DiffAction = "error"
)

// Notes on objects the server was not asked about, in diffs and in dry
// runs' results.
const (
	NoteCRDNotInstalled     = "CRD not installed yet"
	NoteNamespaceNotCreated = "namespace not created yet"
	// NoteOwnershipOnly: the object stays the same, but apply would store
	// new field ownership (managedFields), so it is an update.
	NoteOwnershipOnly = "field ownership only"
)

// DiffResult is the comparison of one object with what the cluster holds.
type DiffResult struct {
	Ref    dynamicx.Ref
	Source manifests.Source
	Action DiffAction
	// Note is set when the object is shown as written, without a server
	// dry run, because its CRD or namespace is in the bundle and not on
	// the cluster yet (NoteCRDNotInstalled, NoteNamespaceNotCreated).
	Note string
	// Paths are the fields that change (DiffUpdate) or would change and
	// cannot (DiffImmutable). Empty for a new object: all of it is new.
	Paths []string
	// Diff is the unified diff from the live object to the merged one,
	// as YAML, for DiffCreate and DiffUpdate. Secret values and
	// annotations that carry an object's content are masked.
	Diff string
	// Live and Merged are the two versions Diff compares, as masked
	// YAML, for a diff program of the user's (Live is "" for a new
	// object).
	Live, Merged string
	// Err is set for DiffImmutable (an *ImmutableError) and DiffError.
	Err error
	// Warnings the API server sent with the dry run.
	Warnings []string
	// DependsOn are the objects apply writes it after, once they are
	// ready (its depends-on annotation).
	DependsOn []dynamicx.Ref
	// MigratedFrom names the field managers apply would take over (see
	// Options.MigrateFrom); the fields only they own, that the manifest
	// dropped, show as removed.
	MigratedFrom []string
}

// DiffSet is the outcome of Diff: one result per input object, in input
// order.
type DiffSet struct {
	Results  []DiffResult
	Duration time.Duration
	// Prune lists the ApplySet members apply --prune would delete
	// (Pruned) or keep (Kept), with DiffOptions.ApplySet.Prune.
	Prune []Result
	// Warnings are about the ApplySet: recorded kinds that are gone.
	Warnings []string
}

// Count returns how many results have the action.
func (ds *DiffSet) Count(a DiffAction) int {
	n := 0
	for _, r := range ds.Results {
		if r.Action == a {
			n++
		}
	}
	return n
}

// Changed reports whether apply would create, change or prune any object.
func (ds *DiffSet) Changed() bool {
	pruned := 0
	for _, r := range ds.Prune {
		if r.Action == Pruned {
			pruned++
		}
	}
	return ds.Count(DiffCreate)+ds.Count(DiffUpdate)+ds.Count(DiffReplace)+pruned > 0
}

// Failed reports whether any object could not be compared or would be
// refused.
func (ds *DiffSet) Failed() bool {
	return ds.Count(DiffImmutable)+ds.Count(DiffError) > 0
}

// ErrDiffInterrupted is the error of objects not compared because the run
// was cancelled.
var ErrDiffInterrupted = errors.New("interrupted before this object was compared")

// Diff plans objs and compares each with the live object: what apply with
// the same options would change. Nothing is written. A *PlanError means
// the input is invalid; otherwise every object has a result.
func (a *Applier) Diff(ctx context.Context, objs []manifests.Object, opts DiffOptions) (*DiffSet, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	plan, err := MakePlan(ctx, a.Clients.Mapper, a.Clients.Config, objs)
	if err != nil {
		return nil, err
	}
	if err := a.resolveDependencies(ctx, plan); err != nil {
		return nil, err
	}
	if opts.ApplySet == nil {
		return a.DiffPlan(ctx, plan, opts), nil
	}
	set, err := applyset.Open(ctx, a.Clients, *opts.ApplySet)
	if err != nil {
		return nil, err
	}
	gks, nss := labelMembers(set, plan)
	ds := a.DiffPlan(ctx, plan, opts)
	if opts.ApplySet.Prune && set.Exists {
		if ds.Prune, err = a.previewPrune(ctx, set, plan, union(set.RecordedGKs, gks), union(set.RecordedNSs, nss)); err != nil {
			return nil, err
		}
	}
	ds.Warnings = set.Warnings
	return ds, nil
}

// differ is the state of one DiffPlan.
type differ struct {
	a    *Applier
	opts DiffOptions
	// results has one slot per plan item, each written by one goroutine.
	results []DiffResult
	index   map[*Item]int
	// live holds the groups of the batch whose objects are listed, by
	// resource and namespace (see planLive); written before the batch
	// starts.
	live map[groupKey]*liveGroup
}

// DiffPlan compares the objects of a plan with the cluster: the live
// object (listed per resource and namespace for large groups, else a GET)
// against a server-side dry-run apply, objects in parallel. Namespaces and
// CRDs go first: an object whose namespace or CRD is in the bundle and not
// on the cluster yet cannot be dry-run, and is shown as it is written.
func (a *Applier) DiffPlan(ctx context.Context, plan *Plan, opts DiffOptions) *DiffSet {
	start := time.Now()
	d := &differ{a: a, opts: opts, results: make([]DiffResult, len(plan.Items)), index: map[*Item]int{}, live: map[groupKey]*liveGroup{}}
	var defs, rest []*Item
	for i, item := range plan.Items {
		d.index[item] = i
		if item.Stage == stageDefinitions {
			defs = append(defs, item)
		} else {
			rest = append(rest, item)
		}
	}
	d.each(ctx, d.planLive(defs))
	d.each(ctx, d.planLive(rest))
	for i, item := range plan.Items {
		d.results[i].DependsOn = item.DependsOn
	}
	return &DiffSet{Results: d.results, Duration: time.Since(start)}
}

func (d *differ) each(ctx context.Context, items []*Item) {
	parallel{
		limit: d.opts.Concurrency,
		settle: func(i int) bool {
			if ctx.Err() == nil {
				return false
			}
			item := items[i]
			d.results[d.index[item]] = DiffResult{Ref: item.Resolved.Ref, Source: item.Source, Action: DiffError, Err: ErrDiffInterrupted}
			return true
		},
		work: func(i int) {
			res := d.diff(ctx, items[i])
			res.Warnings = items[i].withWarning(res.Warnings)
			d.results[d.index[items[i]]] = res
		},
	}.run(len(items))
}

// unverifiedNote says why an object cannot be dry-run: its kind or its
// namespace comes with the bundle. Namespaces and CRDs have their results
// by the time it is called.
func (d *differ) unverifiedNote(item *Item) string {
	if item.ServedByBundle {
		return NoteCRDNotInstalled
	}
	for _, dep := range item.deps {
		if dep.Resolved.Ref.GroupKind() == namespaceGK && d.results[d.index[dep]].Action == DiffCreate {
			return NoteNamespaceNotCreated
		}
	}
	return ""
}

// liveGroup is the live objects of one resource and namespace, listed
// once, when the first of the bundle's objects in it is compared. Each
// object is handed out to the comparisons that want it and dropped after
// the last one, so that a diff holds the live objects of the groups being
// compared, not of the whole bundle.
type liveGroup struct {
	once sync.Once
	mu   sync.Mutex
	// listed is false when the LIST failed: the objects are read one by
	// one instead.
	listed bool
	byName map[string]*unstructured.Unstructured
	// wanted counts the comparisons still to come per name.
	wanted map[string]int
}

// planLive prepares, for the batch, one LIST per resource and namespace
// that holds listThreshold or more of its objects, instead of a GET per
// object: half the requests of a diff of a large bundle. It returns the
// batch in the order to compare it: the objects of one group next to each
// other, so that few groups are held at once. Secrets are still read one
// by one, so that a diff never pulls in the data of Secrets that are not
// in the bundle.
func (d *differ) planLive(items []*Item) []*Item {
	groups := map[groupKey]*liveGroup{}
	var order []groupKey
	for _, item := range items {
		k := keyOf(item)
		if _, ok := groups[k]; !ok {
			groups[k] = &liveGroup{wanted: map[string]int{}}
			order = append(order, k)
		}
		groups[k].wanted[item.Object.GetName()]++
	}
	byGroup := map[groupKey][]*Item{}
	for _, item := range items {
		byGroup[keyOf(item)] = append(byGroup[keyOf(item)], item)
	}
	sorted := make([]*Item, 0, len(items))
	for _, k := range order {
		group := byGroup[k]
		sorted = append(sorted, group...)
		gvr := k.gvr
		if len(group) >= listThreshold && !group[0].ServedByBundle && !(gvr.Group == "" && gvr.Resource == "secrets") {
			d.live[k] = groups[k]
		}
	}
	return sorted
}

// takeLive returns the listed live object of item (nil: there is none)
// and true, or false when its group is not listed. The caller owns the
// object it gets.
func (d *differ) takeLive(ctx context.Context, item *Item) (*unstructured.Unstructured, bool) {
	k := keyOf(item)
	g, ok := d.live[k]
	if !ok {
		return nil, false
	}
	g.once.Do(func() {
		list, err := d.a.Clients.Dynamic.Resource(k.gvr).Namespace(k.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return // a failed LIST falls back to the GETs
		}
		g.listed = true
		g.byName = make(map[string]*unstructured.Unstructured, len(list.Items))
		for i := range list.Items {
			if name := list.Items[i].GetName(); g.wanted[name] > 0 {
				g.byName[name] = &list.Items[i]
			}
		}
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.listed {
		return nil, false
	}
	name := item.Object.GetName()
	obj := g.byName[name]
	if g.wanted[name]--; g.wanted[name] > 0 {
		if obj != nil {
			obj = obj.DeepCopy() // the same object again later in the bundle
		}
	} else {
		delete(g.byName, name)
	}
	return obj, true
}
