package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/apply/render"
	"github.com/kapply-dev/kapply/dynamicx"
)

// ReplaceAnnotation, set to ReplaceOnImmutable on an object, lets apply
// delete and re-create it when the server refuses a change because a
// field is immutable (a Job's template, a Deployment's selector, a
// Service's clusterIP); Options.ForceReplace does so for every object.
const (
	ReplaceAnnotation  = "kapply.dev/replace"
	ReplaceOnImmutable = "on-immutable"
)

// replaceHint completes the error of an object refused for an immutable
// field that apply may not replace.
const replaceHint = "annotate it " + ReplaceAnnotation + ": " + ReplaceOnImmutable + ", or apply with --force-replace, to have it deleted and re-created"

// checkReplaceAnnotation refuses a replace annotation kapply does not know,
// rather than ignore what its author meant.
func checkReplaceAnnotation(item *Item) error {
	v, ok := item.Object.GetAnnotations()[ReplaceAnnotation]
	if ok && v != ReplaceOnImmutable {
		return fmt.Errorf("%s: %q is not a value kapply knows: use %q", ReplaceAnnotation, v, ReplaceOnImmutable)
	}
	return nil
}

// replaceable reports whether item may be deleted and re-created when an
// immutable field changes.
func replaceable(item *Item, force bool) bool {
	return force || item.Object.GetAnnotations()[ReplaceAnnotation] == ReplaceOnImmutable
}

// onImmutable handles a write refused because immutable fields would
// change: the object is replaced when allowed, else the error says how to
// allow it. Other errors are returned as they are.
func (r *run) onImmutable(ctx context.Context, item *Item, err error) (Action, error) {
	fields := immutableFields(err)
	if len(fields) == 0 || r.opts.Mode == Create {
		return Failed, err
	}
	if !replaceable(item, r.opts.ForceReplace) {
		live, _ := item.Resolved.Resource(r.a.Clients.Dynamic).Get(ctx, item.Object.GetName(), metav1.GetOptions{})
		red := render.NewRedactor(item.Resolved.Ref.GroupKind(), item.Object, live)
		return Failed, red.Err(r.a.immutableError(ctx, item, live, r.opts.FieldManager, err, true))
	}
	if r.opts.DryRun != DryRunNone {
		return Replaced, nil // the dry run was refused: that is all a dry run can tell
	}
	if err := r.deleteAndWait(ctx, item); err != nil {
		return Failed, fmt.Errorf("replace (%s immutable): %w", strings.Join(fields, ", "), err)
	}
	var action Action
	if r.opts.Mode == Update {
		action, err = r.update(ctx, item)
	} else {
		action, _, err = r.serverSideApply(ctx, item, &snapshot{})
	}
	if err != nil {
		return Failed, fmt.Errorf("replace: deleted, but creating it again failed: %w", err)
	}
	if action != Created {
		return Failed, fmt.Errorf("replace: deleted, but it was %s instead of created: another writer re-created it", action)
	}
	return Replaced, nil
}

// deleteAndWait deletes the live object (the one read, by its UID) and
// waits until it is gone, within Options.DependencyTimeout. Dependents
// (a Job's pods, a Deployment's ReplicaSets) are left to the garbage
// collector: the object itself is gone at once, on any cluster.
func (r *run) deleteAndWait(ctx context.Context, item *Item) error {
	ri := item.Resolved.Resource(r.a.Clients.Dynamic)
	name := item.Object.GetName()
	live, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read live object: %w", err)
	}
	uid := live.GetUID()
	background := metav1.DeletePropagationBackground
	err = r.retry(ctx, func() error {
		err := ri.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &background})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	deadline := time.Now().Add(r.opts.DependencyTimeout)
	for attempt := 1; ; attempt++ {
		got, err := ri.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err), err == nil && got.GetUID() != uid:
			return nil
		case err != nil && !dynamicx.IsTransient(err):
			return fmt.Errorf("wait until deleted: %w", err)
		case time.Now().After(deadline):
			return fmt.Errorf("still there %s after it was deleted (finalizers: %v)", r.opts.DependencyTimeout, got.GetFinalizers())
		}
		if !dynamicx.Sleep(ctx, min(time.Duration(attempt)*100*time.Millisecond, time.Second)) {
			return ctx.Err()
		}
	}
}
