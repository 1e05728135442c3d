package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// Delete actions.
const (
	// Deleted: the delete was accepted (with --wait: the object is gone).
	Deleted Action = "deleted"
	// Absent: the object was not there (with IgnoreNotFound).
	Absent Action = "absent"
)

// DeleteOptions configures Delete.
type DeleteOptions struct {
	// Cascade is background, foreground or orphan, as kubectl's --cascade.
	Cascade string
	// IgnoreNotFound reports a missing object as Absent instead of Failed.
	IgnoreNotFound bool
	// Wait waits until every deleted object is gone (its finalizers done).
	Wait bool
	// Timeout bounds the wait.
	Timeout time.Duration
	// DryRun may be DryRunServer: admission runs, nothing is deleted.
	DryRun      DryRun
	Concurrency int
	// Progress, when set, is called once per object as soon as its result
	// is known, from any goroutine (calls are serialised).
	Progress func(Result)
	// Waiting, with Wait, is told why an object is still there each time
	// that changes (finalizers, a CRD's Terminating condition).
	Waiting func(ref dynamicx.Ref, reason string)
}

// DefaultDeleteOptions deletes in the background, 32 at a time, and waits
// at most 5 minutes when asked to wait.
func DefaultDeleteOptions() DeleteOptions {
	return DeleteOptions{Cascade: "background", Timeout: 5 * time.Minute, Concurrency: 32}
}

// Validate reports options Delete cannot use.
func (o *DeleteOptions) Validate() error {
	var errs []error
	switch o.Cascade {
	case "background", "foreground", "orphan":
	default:
		errs = append(errs, fmt.Errorf("--cascade must be background, foreground or orphan, got %q", o.Cascade))
	}
	if o.DryRun == DryRunClient {
		errs = append(errs, errors.New("delete supports --dry-run=server only"))
	}
	if o.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency must be at least 1, got %d", o.Concurrency))
	}
	if o.Wait && o.Timeout <= 0 {
		errs = append(errs, errors.New("--timeout must be positive with --wait"))
	}
	return errors.Join(errs...)
}

// StillPresentError is returned by Delete when --wait timed out: it names
// every object still there and what holds it (finalizers).
type StillPresentError struct {
	Remaining []string
}

func (e *StillPresentError) Error() string {
	return fmt.Sprintf("%s still present after the timeout:\n  %s", CountObjects(len(e.Remaining)), strings.Join(e.Remaining, "\n  "))
}

// Delete deletes the objects of the input in reverse apply order:
// workloads before Services before namespaces.
func (a *Applier) Delete(ctx context.Context, objs []manifests.Object, opts DeleteOptions) (*ChangeSet, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	plan, err := MakePlan(ctx, a.Clients.Mapper, a.Clients.Config, objs)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	cs := &ChangeSet{}
	var deleted []*Item
	for stage := numStages - 1; stage >= 0; stage-- {
		items := plan.Stages[stage]
		results := make([]Result, len(items))
		parallel{
			limit: opts.Concurrency,
			work:  func(i int) { results[i] = a.deleteOne(ctx, items[i], opts) },
			done: func(i int) {
				if opts.Progress != nil {
					opts.Progress(results[i])
				}
			},
		}.run(len(items))
		for i, r := range results {
			if r.Action == Deleted {
				deleted = append(deleted, items[i])
			}
		}
		cs.Results = append(cs.Results, results...)
	}
	cs.Duration = time.Since(start)
	if opts.Wait && opts.DryRun == DryRunNone && len(deleted) > 0 {
		if err := a.waitGone(ctx, deleted, opts); err != nil {
			return cs, err
		}
		cs.Duration = time.Since(start)
	}
	return cs, nil
}

func (a *Applier) deleteOne(ctx context.Context, item *Item, opts DeleteOptions) Result {
	res := Result{Ref: item.Resolved.Ref, Source: item.Source, DryRun: opts.DryRun != DryRunNone}
	if item.ServedByBundle {
		// Its CRD is not installed, so neither is the object.
		return notFound(res, opts, fmt.Errorf("its kind is not served (the CRD is not installed)"))
	}
	policy := map[string]metav1.DeletionPropagation{
		"background": metav1.DeletePropagationBackground,
		"foreground": metav1.DeletePropagationForeground,
		"orphan":     metav1.DeletePropagationOrphan,
	}[opts.Cascade]
	delOpts := metav1.DeleteOptions{PropagationPolicy: &policy}
	if opts.DryRun == DryRunServer {
		delOpts.DryRun = []string{metav1.DryRunAll}
	}
	if item.Resolved.Ref.GroupKind() == crdGK {
		note, err := a.prepareCRDDelete(ctx, item.Object.GetName())
		if err != nil {
			res.Action, res.Err = Failed, err
			return res
		}
		res.Cascade = note
	}
	err := item.Resolved.Resource(a.Clients.Dynamic).Delete(ctx, item.Object.GetName(), delOpts)
	switch {
	case err == nil:
		res.Action = Deleted
	case apierrors.IsNotFound(err):
		return notFound(res, opts, err)
	default:
		res.Action, res.Err = Failed, err
	}
	return res
}

func notFound(res Result, opts DeleteOptions, err error) Result {
	if opts.IgnoreNotFound {
		res.Action = Absent
		return res
	}
	res.Action, res.Err = Failed, fmt.Errorf("not found: %w (use --ignore-not-found)", err)
	return res
}

// waitGone polls, with metadata GETs, until every item is gone or the
// timeout ends; then it names what is left and why: its finalizers, and a
// CRD's Terminating condition (read whole for CRDs).
func (a *Applier) waitGone(ctx context.Context, items []*Item, opts DeleteOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	pending := items
	told := map[*Item]string{}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var still []*Item
		var why []string
		for _, item := range pending {
			reason, gone := a.stillThere(ctx, item)
			if gone {
				continue
			}
			if ctx.Err() != nil && told[item] != "" {
				reason = told[item] // the read was cut by the timeout: the last reason stands
			}
			still = append(still, item)
			why = append(why, item.Resolved.Ref.String()+": "+reason)
			if told[item] != reason && ctx.Err() == nil {
				told[item] = reason
				if opts.Waiting != nil {
					opts.Waiting(item.Resolved.Ref, reason)
				}
			}
		}
		if len(still) == 0 {
			return nil
		}
		pending = still
		select {
		case <-ctx.Done():
			sort.Strings(why)
			return &StillPresentError{Remaining: why}
		case <-tick.C:
		}
	}
}

// stillThere reads an item being deleted: gone, or why it is still there.
func (a *Applier) stillThere(ctx context.Context, item *Item) (reason string, gone bool) {
	k := keyOf(item)
	name := item.Object.GetName()
	var finalizers []string
	terminating := ""
	if item.Resolved.Ref.GroupKind() == crdGK {
		crd, err := a.Clients.Dynamic.Resource(k.gvr).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", true
		} else if err != nil {
			return err.Error(), false
		}
		finalizers, terminating = crd.GetFinalizers(), terminatingReason(crd)
	} else {
		m, err := a.Clients.Metadata.Resource(k.gvr).Namespace(k.ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", true
		} else if err != nil {
			return err.Error(), false
		}
		finalizers = m.Finalizers
	}
	reason = "deletion in progress"
	if len(finalizers) > 0 {
		reason = "waiting for finalizers " + strings.Join(finalizers, ", ")
	}
	if terminating != "" {
		reason += ": " + terminating
	}
	return reason, false
}

// DeleteApplySet deletes every member of an ApplySet, in reverse apply
// order, then its parent. Members annotated to be kept stay.
func (a *Applier) DeleteApplySet(ctx context.Context, set applyset.Options, opts Options) (*ChangeSet, error) {
	set.PruneNamespaces, set.PruneCRDs, set.MaxPrune, set.Prune = true, true, 0, true
	s, err := applyset.Open(ctx, a.Clients, set)
	if err != nil {
		return nil, err
	}
	if !s.Exists {
		return nil, &applyset.Error{Err: fmt.Errorf("parent %s does not exist", s.Parent)}
	}
	start := time.Now()
	results, _, _, err := a.prune(ctx, s, &Plan{}, s.RecordedGKs, s.RecordedNSs, opts)
	cs := &ChangeSet{Results: results, Warnings: s.Warnings}
	if err != nil {
		cs.PruneErr = err
		return cs, nil
	}
	for i := range cs.Results {
		if cs.Results[i].Action == Pruned {
			cs.Results[i].Action = Deleted
		}
	}
	if cs.Count(Failed) == 0 && opts.DryRun == DryRunNone {
		err := a.Clients.Dynamic.Resource(s.Mapping.Resource).Namespace(s.Parent.Namespace).Delete(ctx, s.Parent.Name, metav1.DeleteOptions{})
		res := Result{Ref: s.Parent, Source: manifests.Source{Path: "applyset parent"}, Action: Deleted}
		if err != nil && !apierrors.IsNotFound(err) {
			res.Action, res.Err = Failed, err
		}
		cs.Results = append(cs.Results, res)
	}
	cs.Duration = time.Since(start)
	return cs, nil
}
