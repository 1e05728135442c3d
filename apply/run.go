package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// Applier writes bundles to one cluster.
type Applier struct {
	Clients *dynamicx.Clients

	typesOnce sync.Once
	types     *typeSchemas
}

// schemas returns the Applier's cache of the server's types, nil without
// a discovery client.
func (a *Applier) schemas() *typeSchemas {
	a.typesOnce.Do(func() {
		if a.Clients != nil && a.Clients.Discovery != nil {
			a.types = newTypeSchemas(a.Clients.Discovery.OpenAPIV3)
		}
	})
	return a.types
}

// ErrInterrupted is the error of objects not attempted because the run was
// cancelled.
var ErrInterrupted = errors.New("interrupted before this object was applied")

// ErrInterruptedInFlight is the error of objects whose request was
// cancelled by an interruption: the server may or may not have applied it.
var ErrInterruptedInFlight = errors.New("interrupted while this object was being applied: the server may or may not have applied it")

// Apply plans objs and writes them. A *PlanError means nothing was
// written. Otherwise the ChangeSet holds one result per object; objects
// fail independently.
func (a *Applier) Apply(ctx context.Context, objs []manifests.Object, opts Options) (*ChangeSet, error) {
	start := a.Clients.Config.Traffic.Retries()
	cs, err := a.apply(ctx, objs, opts)
	if cs != nil {
		cs.Retries = a.Clients.Config.Traffic.Retries() - start // discovery and the ApplySet included
	}
	return cs, err
}

func (a *Applier) apply(ctx context.Context, objs []manifests.Object, opts Options) (*ChangeSet, error) {
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
		return a.Run(ctx, plan, opts), nil
	}
	return a.applySetRun(ctx, plan, opts)
}

// applySetRun is a run within an ApplySet. The parent is updated to the
// superset of old and new members before any member is written (after
// the namespace it lives in, when the bundle creates it), and
// trimmed to the new set only after a successful prune, so an interrupted
// run never loses track of an object.
func (a *Applier) applySetRun(ctx context.Context, plan *Plan, opts Options) (*ChangeSet, error) {
	set, err := applyset.Open(ctx, a.Clients, *opts.ApplySet)
	if err != nil {
		return nil, err
	}
	if opts.ApplySet.Prune && len(plan.Items) == 0 && !opts.ApplySet.AllowEmpty {
		return nil, &applyset.Error{Err: fmt.Errorf("the input is empty: pruning would delete every member of %s; use --allow-empty to do exactly that", set.Parent)}
	}
	parentNS, err := a.createParentNamespace(ctx, set, plan, opts)
	if err != nil {
		return nil, &applyset.Error{Err: err}
	}
	gks, nss := labelMembers(set, plan)
	dryRun := (&run{opts: opts}).dryRun()
	if opts.DryRun != DryRunClient && !parentNS.missing {
		if err := set.WriteParent(ctx, a.Clients.Dynamic, union(set.RecordedGKs, gks), union(set.RecordedNSs, nss), dryRun); err != nil {
			if parentNS.created != nil {
				return nil, fmt.Errorf("namespace %s was created, but no member was written: %w", set.Parent.Namespace, err)
			}
			return nil, &applyset.Error{Err: err}
		}
	}
	cs := a.run(ctx, plan, opts, set)
	parentNS.reportCreated(cs)
	defer func() { cs.Warnings = append(cs.Warnings, set.Warnings...) }()
	if !opts.ApplySet.Prune {
		return cs, nil
	}
	switch {
	case ctx.Err() != nil:
		cs.PruneErr = fmt.Errorf("%w: the run was interrupted", ErrPruneRefused)
	case cs.Failed():
		cs.PruneErr = fmt.Errorf("%w: %s not applied", ErrPruneRefused, CountObjects(cs.Count(Failed)+cs.Count(Skipped)))
	}
	if cs.PruneErr != nil {
		return cs, nil
	}
	pruned, keptGKs, keptNSs, err := a.prune(ctx, set, plan, union(set.RecordedGKs, gks), union(set.RecordedNSs, nss), opts)
	cs.Results = append(cs.Results, pruned...)
	if err != nil {
		cs.PruneErr = err
		return cs, nil
	}
	if opts.DryRun == DryRunNone && ctx.Err() == nil {
		if err := set.WriteParent(ctx, a.Clients.Dynamic, union(gks, keptGKs), union(nss, keptNSs), nil); err != nil {
			cs.PruneErr = fmt.Errorf("pruned, but trimming the parent failed (the next run trims it): %w", err)
		}
	}
	return cs, nil
}

// run is the state of one Run.
type run struct {
	a    *Applier
	opts Options

	set      *applyset.Set // the ApplySet of the run, or nil
	mu       sync.Mutex
	results  map[*Item]*Result
	progress func(Result)
	crds     crdGate
	pending  deferral
	// lastResult is when the last object's result was recorded.
	lastResult time.Time
}

// Run writes a plan stage by stage. Objects of one stage go in parallel;
// an object whose namespace or CRD (in the same bundle) failed is skipped.
// The CRDs are written alongside the stages after the first, and those
// whose custom resources are in the bundle, once created or changed, are
// waited for, together, until Established; each custom resource is
// written as soon as its CRD is, and nothing else waits for them (see
// crdGate).
func (a *Applier) Run(ctx context.Context, plan *Plan, opts Options) *ChangeSet {
	return a.run(ctx, plan, opts, nil)
}

func (a *Applier) run(ctx context.Context, plan *Plan, opts Options, set *applyset.Set) *ChangeSet {
	start := time.Now()
	r := &run{a: a, opts: opts, results: map[*Item]*Result{}, progress: opts.Progress, set: set}
	retries := r.traffic().Retries()
	r.prepare(plan)
	var deferred sync.WaitGroup
	for _, item := range plan.Items {
		if r.pending.deferred[item] {
			deferred.Go(func() { r.record(item, r.runDeferred(ctx, item)) })
		}
	}
	for stage, items := range plan.Stages {
		if stage == stageAdmission {
			// Webhooks last: the custom resources still waiting for
			// their CRD are written before a webhook can refuse them.
			r.crds.drain()
		}
		var batch, crds []*Item
		for _, item := range items {
			switch {
			case r.pending.deferred[item] || r.crds.deferItem(ctx, r, item):
			case item.Resolved.Ref.GroupKind() == crdGK:
				crds = append(crds, item)
			default:
				batch = append(batch, item)
			}
		}
		if stage == stageDefinitions {
			// CRDs are written alongside the later stages; before the
			// stage is marked done, so that deferred objects of later
			// stages see their waits.
			r.crds.begin(ctx, r, plan, crds)
		}
		if len(batch) > 0 {
			r.runStage(ctx, batch)
		}
		close(r.pending.stageDone[stage])
	}
	deferred.Wait()
	r.crds.drain()
	cs := &ChangeSet{Duration: time.Since(start), Retries: r.traffic().Retries() - retries, CRDWait: r.crds.waited}
	if r.crds.settled.After(r.lastResult) {
		cs.CRDWaitAlone = r.crds.settled.Sub(r.lastResult)
	}
	for _, items := range plan.Stages {
		for _, item := range items {
			if !r.pending.deferred[item] {
				cs.Results = append(cs.Results, *r.results[item])
			}
		}
	}
	for _, item := range r.pending.order {
		cs.Results = append(cs.Results, *r.results[item])
	}
	return cs
}

func (r *run) runStage(ctx context.Context, items []*Item) {
	before := r.prefetch(ctx, items)
	results := make([]Result, len(items))
	parallel{
		limit: r.opts.Concurrency,
		settle: func(i int) bool {
			res := r.precheck(ctx, items[i])
			if res != nil {
				results[i] = *res
			}
			return res != nil
		},
		work: func(i int) { results[i] = r.write(ctx, items[i], before) },
		done: func(i int) { r.record(items[i], results[i]) },
	}.run(len(items))
}

// precheck returns a result for an item that must not be attempted.
func (r *run) precheck(ctx context.Context, item *Item) *Result {
	skip := func(err error) *Result {
		return &Result{Ref: item.Resolved.Ref, Source: item.Source, Action: Skipped, Err: err, DryRun: r.opts.DryRun != DryRunNone}
	}
	if ctx.Err() != nil {
		return skip(ErrInterrupted)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, dep := range item.deps {
		res := r.results[dep]
		switch {
		case res == nil:
			return skip(fmt.Errorf("%s was not applied", dep.Resolved.Ref.KindName()))
		case res.Action == Failed || res.Action == Skipped:
			return skip(fmt.Errorf("%s (%s) was not applied", dep.Resolved.Ref.KindName(), dep.Source))
		case res.Err != nil: // a CRD applied but never established
			return skip(fmt.Errorf("%s: %w", dep.Resolved.Ref.KindName(), res.Err))
		}
	}
	if note := r.uncheckedNote(item); note != "" {
		return &Result{Ref: item.Resolved.Ref, Source: item.Source, Action: Created, DryRun: true, Note: note}
	}
	return nil
}

// uncheckedNote says why a dry run cannot send an object to the server:
// its CRD, or its namespace, is in the bundle and was only dry-run itself,
// so the server would answer "not found" (issue 12, E). Such an object is
// reported as it would be created, with the note, as diff does. Called
// with r.mu held.
func (r *run) uncheckedNote(item *Item) string {
	if r.opts.DryRun == DryRunNone {
		return ""
	}
	if item.ServedByBundle {
		return NoteCRDNotInstalled
	}
	if r.opts.DryRun != DryRunServer {
		return "" // a client dry run reads the namespace's objects: none
	}
	for _, dep := range item.deps {
		if res := r.results[dep]; dep.Resolved.Ref.GroupKind() == namespaceGK && res.Action == Created && res.DryRun {
			return NoteNamespaceNotCreated
		}
	}
	return ""
}

func (r *run) record(item *Item, res Result) {
	res.DependsOn = item.DependsOn
	res.Warnings = item.withWarning(res.Warnings)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[item] = &res
	r.lastResult = time.Now()
	if r.pending.deferred[item] {
		r.pending.order = append(r.pending.order, item)
	}
	if done := r.pending.done[item]; done != nil {
		defer close(done)
	}
	if r.progress != nil {
		r.progress(res)
	}
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
