package apply

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/apply/render"
	"github.com/kapply-dev/kapply/dynamicx"
)

// diff compares one object: the live object (GET) against the result of
// the server-side apply apply would send (PATCH, dryRun=All), both sent at
// once.
func (d *differ) diff(ctx context.Context, item *Item) DiffResult {
	ctx, warnings := dynamicx.WithWarnings(ctx)
	res := DiffResult{Ref: item.Resolved.Ref, Source: item.Source}
	gk := item.Resolved.Ref.GroupKind()
	if note := d.unverifiedNote(item); note != "" {
		res.Action, res.Note = DiffCreate, note
		res.Diff, res.Live, res.Merged, res.Err = renderDiff(item, nil, render.Diffable(item.Object))
		if res.Err != nil {
			res.Action = DiffError
		}
		return res
	}
	var live, merged *unstructured.Unstructured
	var err error
	upgraded := d.upgradedCRD(item)
	if upgraded {
		live, merged, err = d.mergedLocally(ctx, item)
		res.Note = NoteCRDUpgraded
	} else {
		live, merged, err = d.dryRun(ctx, item)
	}
	red := render.NewRedactor(gk, item.Object, live)
	for _, w := range warnings.List() {
		res.Warnings = append(res.Warnings, red.Redact(w))
	}
	switch {
	case err != nil:
		res.Action, res.Err = DiffError, explainForbidden(err, item, "diff", "get", "patch")
		if fields := immutableFields(err); len(fields) > 0 {
			if replaceable(item, d.opts.ForceReplace) {
				res.Action, res.Paths, res.Err = DiffReplace, fields, nil
				return res
			}
			ie := d.a.immutableError(ctx, item, live, d.opts.FieldManager, err, false)
			res.Action, res.Paths, res.Err = DiffImmutable, ie.Paths(), ie
		} else if ctx.Err() != nil {
			res.Err = fmt.Errorf("%w: %w", ErrDiffInterrupted, err)
		}
		res.Err = red.Err(res.Err)
		return res
	case live == nil:
		res.Action = DiffCreate
	case upgraded:
		res.Action = DiffUpdate
	default:
		res.Action = DiffUpdate
		policy := migrationPolicy{manager: d.opts.FieldManager, from: d.opts.MigrateFrom}
		if merged, res.MigratedFrom, err = policy.previewOnServer(ctx, item.Resolved.Resource(d.a.Clients.Dynamic), live, merged); err != nil {
			res.Action, res.Err = DiffError, err
			return res
		}
	}
	from, to := render.Diffable(live), render.Diffable(merged)
	if live != nil {
		if reflect.DeepEqual(from, to) {
			res.Action, res.Note = DiffUnchanged, ""
			if !upgraded && ownershipChanges(live, merged, d.opts.FieldManager) {
				// apply would store new managedFields: a change, as
				// apply says configured for it.
				res.Action, res.Note = DiffUpdate, NoteOwnershipOnly
			}
			return res
		}
		// Keyed list items by key (containers[name=web]), from the
		// server's types; by index when they are not to be had.
		res.Paths = render.ChangedPathsKeyed(d.a.schemas().schemaOf(ctx, merged), from, to)
	}
	if res.Diff, res.Live, res.Merged, err = renderDiff(item, from, to); err != nil {
		res.Action, res.Err = DiffError, err
	}
	return res
}

// dryRun reads the live object (nil when there is none) and the object as
// a server-side apply would leave it, concurrently. When the dry run
// fails, the live object is returned with the error.
func (d *differ) dryRun(ctx context.Context, item *Item) (live, merged *unstructured.Unstructured, err error) {
	ri := item.Resolved.Resource(d.a.Clients.Dynamic)
	name := item.Object.GetName()
	type got struct {
		obj *unstructured.Unstructured
		err error
	}
	liveCh := make(chan got, 1)
	go func() {
		if obj, ok := d.takeLive(ctx, item); ok {
			liveCh <- got{obj, nil}
			return
		}
		obj, err := ri.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			obj, err = nil, nil
		}
		liveCh <- got{obj, err}
	}()
	data, err := item.Object.MarshalJSON()
	send := func(force bool) (*unstructured.Unstructured, error) {
		return ri.Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{
			FieldManager:    d.opts.FieldManager,
			Force:           &force,
			DryRun:          []string{metav1.DryRunAll},
			FieldValidation: string(d.opts.Validation),
		})
	}
	if err == nil {
		merged, err = send(d.opts.ForceConflicts)
	} else {
		err = fmt.Errorf("encode: %w", err)
	}
	l := <-liveCh
	if apierrors.IsConflict(err) && !d.opts.ForceConflicts {
		// Conflicts with managers apply would migrate first are none.
		policy := migrationPolicy{manager: d.opts.FieldManager, from: d.opts.MigrateFrom}
		if l.obj != nil && conflictsOnlyWith(err, policy.takenNames(l.obj.GetManagedFields())) {
			merged, err = send(true)
		}
	}
	err = explainConflict(err, item.Object)
	switch {
	case err != nil:
		// The live object still goes back: its Secret values are
		// redacted from the error too.
		return l.obj, nil, err
	case l.err != nil:
		return nil, nil, fmt.Errorf("read live object: %w", l.err)
	}
	return l.obj, merged, nil
}

// renderDiff masks what must not be shown and returns the unified diff
// of the two versions, and the two versions, as YAML. from is nil for a
// new object.
func renderDiff(item *Item, from, to map[string]any) (diff, live, merged string, err error) {
	gk := item.Resolved.Ref.GroupKind()
	if live, merged, err = render.MaskedYAML(gk, from, to); err != nil {
		return "", "", "", err
	}
	ref := item.Resolved.Ref.String()
	if diff, err = render.UnifiedDiff("live/"+ref, "merged/"+ref, live, merged); err != nil {
		return "", "", "", err
	}
	return diff, live, merged, nil
}

// ownershipChanges reports whether the apply would change manager's
// fields (it takes, or shares, fields it did not own) although the object
// itself stays the same.
func ownershipChanges(live, merged *unstructured.Unstructured, manager string) bool {
	before, hadEntry := applyEntry(live.GetManagedFields(), manager)
	after, hasEntry := applyEntry(merged.GetManagedFields(), manager)
	if hadEntry != hasEntry {
		return true
	}
	return hasEntry && (before.APIVersion != after.APIVersion || !reflect.DeepEqual(before.FieldsV1, after.FieldsV1))
}
