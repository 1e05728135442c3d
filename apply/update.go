package apply

import (
	"context"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kapply-dev/kapply/dynamicx"
)

// create sends a POST. A POST is not repeated blindly: after a failure
// that leaves its outcome unknown (the connection broke, or a 5xx: the
// server may have stored the object) the object is read back, and counts
// as created when it is there as this run would have made it. Only when
// it is not there is the POST sent again.
func (r *run) create(ctx context.Context, item *Item, obj *unstructured.Unstructured) (Action, error) {
	ri := item.Resolved.Resource(r.a.Clients.Dynamic)
	traffic := dynamicx.TrafficFrom(ctx)
	uncertain := false // an earlier try may have stored the object
	for attempt := 1; ; attempt++ {
		seen := traffic.Uncertain(http.MethodPost)
		_, err := ri.Create(ctx, obj, metav1.CreateOptions{
			FieldManager:    r.opts.FieldManager,
			DryRun:          r.dryRun(),
			FieldValidation: string(r.opts.Validation),
		})
		if err == nil {
			return Created, nil
		}
		stored := r.mayBeStored(err, traffic.Uncertain(http.MethodPost) > seen)
		uncertain = uncertain || stored
		if apierrors.IsAlreadyExists(err) && uncertain {
			return r.readBack(ctx, item, obj, err)
		}
		again := r.backoff(ctx, attempt, err) // waits first: a write in flight may land
		if stored {
			live, getErr := ri.Get(ctx, item.Object.GetName(), metav1.GetOptions{})
			switch {
			case getErr == nil:
				return r.judgeCreated(live, obj, err)
			case !apierrors.IsNotFound(getErr):
				return Failed, fmt.Errorf("create outcome unknown (%w), and reading the object back failed: %w", gaveUp(attempt, err), getErr)
			}
		}
		if !again {
			return Failed, gaveUp(attempt, err)
		}
	}
}

// mayBeStored reports whether a POST or PUT that ended with err may have
// been stored all the same: it failed transiently other than with 429
// (which the server sends before processing), or an earlier try that
// client-go repeated by itself did (seenUncertain: a 5xx with Retry-After,
// which makes a 409 the answer to a try of our own).
func (r *run) mayBeStored(err error, seenUncertain bool) bool {
	if r.opts.DryRun != DryRunNone || isWebhookUnreachable(err) {
		return false // admission refused it before storage
	}
	return seenUncertain || (dynamicx.IsTransient(err) && !apierrors.IsTooManyRequests(err))
}

// readBack reads the object after a 409 AlreadyExists that may answer a
// try of our own.
func (r *run) readBack(ctx context.Context, item *Item, obj *unstructured.Unstructured, cause error) (Action, error) {
	ri := item.Resolved.Resource(r.a.Clients.Dynamic)
	live, err := ri.Get(ctx, item.Object.GetName(), metav1.GetOptions{})
	if err != nil {
		return Failed, fmt.Errorf("create outcome unknown (%w), and reading the object back failed: %w", cause, err)
	}
	return r.judgeCreated(live, obj, cause)
}

// judgeCreated decides a create whose outcome was unknown from the live
// object: created by this run when our field manager made it and it holds
// everything it was sent with.
func (r *run) judgeCreated(live, obj *unstructured.Unstructured, cause error) (Action, error) {
	ours := false
	for _, mf := range live.GetManagedFields() {
		if mf.Manager == r.opts.FieldManager && mf.Operation == metav1.ManagedFieldsOperationUpdate {
			ours = true
		}
	}
	if ours && holds(live, obj) {
		return Created, nil
	}
	return Failed, fmt.Errorf("create outcome unknown (%w): an object of that name exists that this run did not create as given; it was left alone", cause)
}

// update is client-side apply (see clientside.go): it creates the object
// with the last-applied annotation, or sends kubectl apply's three-way
// patch, and nothing when that patch is empty. A 409 Conflict means someone
// wrote in between: read again and retry, a bounded number of times. A
// patch whose outcome is unknown is not sent again blindly either: the
// next read tells whether it was stored (the resourceVersion moved and the
// object holds the manifest).
func (r *run) update(ctx context.Context, item *Item) (Action, error) {
	ri := item.Resolved.Resource(r.a.Clients.Dynamic)
	name := item.Object.GetName()
	traffic := dynamicx.TrafficFrom(ctx)
	desired, modified, err := withLastApplied(item.Object)
	if err != nil {
		return Failed, err
	}
	var lastErr error
	conflicts, failures := 0, 0
	replaced := "" // the resourceVersion a patch of unknown outcome applied to
	for conflicts <= r.opts.UpdateRetries {
		live, err := ri.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			action, err := r.create(ctx, item, desired)
			if !apierrors.IsAlreadyExists(err) {
				return action, err
			}
			lastErr = err // created by someone else in between: patch it
			conflicts++
			traffic.AddRetry()
			continue
		}
		if err != nil {
			return Failed, fmt.Errorf("read live object: %w", err)
		}
		if replaced != "" && live.GetResourceVersion() != replaced && holds(live, desired) {
			return Configured, nil
		}
		if err := r.checkOwnership(live.GetLabels()); err != nil {
			return Failed, err
		}
		patch, patchType, err := threeWayPatch(live, modified)
		if err != nil {
			return Failed, err
		}
		if string(patch) == "{}" {
			return Unchanged, nil
		}
		seen := traffic.Uncertain(http.MethodPatch)
		out, err := ri.Patch(ctx, name, patchType, patch, metav1.PatchOptions{
			FieldManager:    r.opts.FieldManager,
			DryRun:          r.dryRun(),
			FieldValidation: string(r.opts.Validation),
		})
		if r.mayBeStored(err, traffic.Uncertain(http.MethodPatch) > seen) {
			replaced = live.GetResourceVersion()
		}
		switch {
		case apierrors.IsConflict(err):
			lastErr = err
			conflicts++
			traffic.AddRetry()
			continue
		case err != nil:
			failures++
			if !r.backoff(ctx, failures, err) {
				return r.lastRead(ctx, item, desired, replaced, gaveUp(failures, err))
			}
			continue
		}
		if r.opts.DryRun == DryRunServer {
			if sameContent(live, out) {
				return Unchanged, nil
			}
			return Configured, nil
		}
		if out.GetResourceVersion() == live.GetResourceVersion() {
			return Unchanged, nil
		}
		return Configured, nil
	}
	return Failed, fmt.Errorf("still conflicting after %d retries: %w", r.opts.UpdateRetries, lastErr)
}

// lastRead reports a PUT that failed for good, unless the object shows
// that a try of unknown outcome was stored after all.
func (r *run) lastRead(ctx context.Context, item *Item, desired *unstructured.Unstructured, replaced string, err error) (Action, error) {
	if replaced == "" {
		return Failed, err
	}
	live, getErr := item.Resolved.Resource(r.a.Clients.Dynamic).Get(ctx, item.Object.GetName(), metav1.GetOptions{})
	if getErr == nil && live.GetResourceVersion() != replaced && holds(live, desired) {
		return Configured, nil
	}
	return Failed, err
}

// holds reports whether live has every label, annotation and field (status
// aside) that want sets, with the same values; the server may have added
// more (defaults, managedFields).
func holds(live, want *unstructured.Unstructured) bool {
	w := want.DeepCopy().Object
	delete(w, "status")
	delete(w, "metadata")
	meta := map[string]any{}
	if l := want.GetLabels(); len(l) > 0 {
		meta["labels"] = toAny(l)
	}
	if a := want.GetAnnotations(); len(a) > 0 {
		meta["annotations"] = toAny(a)
	}
	w["metadata"] = meta
	return contains(live.Object, w)
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// contains reports whether have holds want: every key of a map, every
// element of a list (of the same length), equal scalars.
func contains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return have == nil && len(w) == 0
		}
		for k, v := range w {
			if !contains(h[k], v) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok {
			return have == nil && len(w) == 0
		}
		if len(h) != len(w) {
			return false
		}
		for i := range w {
			if !contains(h[i], w[i]) {
				return false
			}
		}
		return true
	case nil:
		return have == nil
	}
	if hf, ok := number(have); ok {
		wf, ok := number(want)
		return ok && hf == wf
	}
	return have == want
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
