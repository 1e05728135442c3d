package apply

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/dynamicx"
)

// writeOnce sends one object and classifies the outcome.
func (r *run) writeOnce(ctx context.Context, item *Item, snap *snapshot) Result {
	ctx, warnings := dynamicx.WithWarnings(ctx)
	ctx, traffic := dynamicx.WithTraffic(ctx, r.traffic())
	res := Result{Ref: item.Resolved.Ref, Source: item.Source, DryRun: r.opts.DryRun != DryRunNone}
	var err error
	switch {
	case r.opts.DryRun == DryRunClient:
		res.Action, err = r.planOnly(ctx, item, snap)
	case r.opts.Mode == Create:
		res.Action, err = r.create(ctx, item, item.Object)
	case r.opts.Mode == Update:
		res.Action, err = r.update(ctx, item)
	default:
		res.Action, res.MigratedFrom, err = r.serverSideApply(ctx, item, snap)
	}
	if err != nil {
		res.Action, err = r.onImmutable(ctx, item, err)
	}
	if err != nil {
		res.Action, res.Err = Failed, err
		if ctx.Err() != nil {
			res.Err = fmt.Errorf("%w: %w", ErrInterruptedInFlight, err)
		}
	}
	res.Warnings = warnings.List()
	res.Retries = traffic.Retries()
	return r.finish(item, res)
}

func (r *run) dryRun() []string {
	if r.opts.DryRun == DryRunServer {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// serverSideApply sends the object as an apply patch. Fields of managers
// the migration policy takes (see migrate.go) are moved into this
// manager's entry first, so that the apply removes what the manifest
// dropped; the managers taken over are returned.
func (r *run) serverSideApply(ctx context.Context, item *Item, snap *snapshot) (Action, []string, error) {
	ri := item.Resolved.Resource(r.a.Clients.Dynamic)
	name := item.Object.GetName()
	var live *unstructured.Unstructured
	var before liveMeta
	exists := false
	if r.opts.DryRun == DryRunServer {
		// A dry run does not move the resourceVersion even when it
		// changes the object, so compare the whole object instead.
		got, err := ri.Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			live, exists = got, true
			before.labels = got.GetLabels()
		case !apierrors.IsNotFound(err):
			return Failed, nil, fmt.Errorf("read live object: %w", err)
		}
	} else {
		var err error
		before, exists, err = r.lookup(ctx, item, snap)
		if err != nil {
			return Failed, nil, err
		}
	}
	if err := r.checkOwnership(before.labels); err != nil {
		return Failed, nil, err
	}
	var migrated []string
	if exists && r.opts.DryRun == DryRunNone {
		var err error
		if before, migrated, err = r.migrateOwnership(ctx, item, before); err != nil {
			return Failed, nil, err
		}
	}
	data, err := item.Object.MarshalJSON()
	if err != nil {
		return Failed, nil, fmt.Errorf("encode: %w", err)
	}
	force := r.opts.ForceConflicts
	// out is the object the server answers with: its metadata only, unless
	// more of it is read below (a dry run compares whole objects; a custom
	// resource's status may need settling). The server then encodes, and
	// kapply decodes, a fraction of each object (issue 16).
	var out metav1.Object
	var full *unstructured.Unstructured
	wantFull := live != nil || item.ServedByBundle || !builtinGroups[item.Resolved.GVR.Group]
	mi := item.Resolved.MetadataResource(r.a.Clients.Metadata)
	send := func() error {
		return r.retry(ctx, func() error { // an apply patch is idempotent
			opts := metav1.PatchOptions{
				FieldManager:    r.opts.FieldManager,
				Force:           &force,
				DryRun:          r.dryRun(),
				FieldValidation: string(r.opts.Validation),
			}
			if wantFull {
				got, err := ri.Patch(ctx, name, types.ApplyPatchType, data, opts)
				if err == nil {
					out, full = got, got
				}
				return err
			}
			got, err := mi.Patch(ctx, name, types.ApplyPatchType, data, opts)
			if err == nil {
				out = got
			}
			return err
		})
	}
	err = send()
	if live != nil && !force && apierrors.IsConflict(err) {
		// A dry run stores no migration: conflicts with the managers it
		// would take over are none.
		policy := migrationPolicy{manager: r.opts.FieldManager, from: r.opts.MigrateFrom}
		if conflictsOnlyWith(err, policy.takenNames(live.GetManagedFields())) {
			force = true
			err = send()
		}
	}
	if err != nil {
		return Failed, nil, explainConflict(err, item.Object)
	}
	switch {
	case !exists:
		if r.opts.DryRun == DryRunNone && needsSettling(item, out, full, r.opts.FieldManager) {
			// Settle now what the server would otherwise rewrite on the
			// next apply, so that a re-run is a true no-op. Best effort:
			// the object was created either way.
			_ = r.retry(ctx, func() error {
				_, err := mi.Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{
					FieldManager: r.opts.FieldManager, Force: &force, FieldValidation: string(r.opts.Validation),
				})
				return err
			})
		}
		return Created, nil, nil
	case live != nil:
		// A dry run stores no migration: show what it would remove.
		policy := migrationPolicy{manager: r.opts.FieldManager, from: r.opts.MigrateFrom}
		if full, migrated, err = policy.previewOnServer(ctx, ri, live, full); err != nil {
			return Failed, nil, err
		}
		if sameContent(live, full) {
			return Unchanged, migrated, nil
		}
		return Configured, migrated, nil
	case migrated != nil:
		return Configured, migrated, nil // the migration rewrote its managed fields
	case out.GetResourceVersion() == before.rv, !changedByUs(before, out, r.opts.FieldManager):
		return Unchanged, nil, nil
	default:
		return Configured, nil, nil
	}
}

// changedByUs tells, when the resourceVersion moved between the read and
// the apply, whether the apply moved it. A controller may write in between
// (a Deployment's status, seconds after a rollout): then the generation and
// this manager's Apply entry (its fields and time) are as they were, and
// the writer's own entry changed. Only for objects with a generation: for
// others every change moves nothing but the resourceVersion, so the move
// is taken as ours.
//
// The generation and the Apply entry alone do not tell: a change the
// server does not count as one of the spec (memory 2Gi written as
// 2147483648) keeps the generation, and the entry's time has a resolution
// of one second, so an apply in the second after the previous one keeps
// it too. So the move is ours unless another entry changed; a writer whose
// entry came out the same (same fields, same second) goes unseen, and its
// move is taken as ours.
func changedByUs(before liveMeta, out metav1.Object, manager string) bool {
	if before.generation == 0 || out.GetGeneration() != before.generation {
		return true
	}
	prev, ok := applyEntry(before.managed, manager)
	if !ok {
		return true
	}
	now, ok := applyEntry(out.GetManagedFields(), manager)
	if !ok || !equality.Semantic.DeepEqual(prev, now) {
		return true
	}
	return !othersWrote(before.managed, out.GetManagedFields(), manager)
}

// othersWrote reports whether an entry of another manager (or of a
// subresource) differs between two versions of managedFields.
func othersWrote(before, after []metav1.ManagedFieldsEntry, manager string) bool {
	others := func(entries []metav1.ManagedFieldsEntry) []metav1.ManagedFieldsEntry {
		var out []metav1.ManagedFieldsEntry
		for _, e := range entries {
			if e.Manager != manager || e.Operation != metav1.ManagedFieldsOperationApply || e.Subresource != "" {
				out = append(out, e)
			}
		}
		return out
	}
	return !equality.Semantic.DeepEqual(others(before), others(after))
}

func applyEntry(entries []metav1.ManagedFieldsEntry, manager string) (metav1.ManagedFieldsEntry, bool) {
	for _, e := range entries {
		if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "" {
			return e, true
		}
	}
	return metav1.ManagedFieldsEntry{}, false
}

// planOnly is --dry-run=client: it says whether the object would be
// created or changed, from a metadata read. Nothing is written.
func (r *run) planOnly(ctx context.Context, item *Item, snap *snapshot) (Action, error) {
	before, exists, err := r.lookup(ctx, item, snap)
	if err != nil {
		return Failed, err
	}
	if err := r.checkOwnership(before.labels); err != nil {
		return Failed, err
	}
	if exists {
		return Configured, nil
	}
	return Created, nil
}

// sameContent compares two versions of an object, leaving out what the
// server changes on every write.
func sameContent(a, b *unstructured.Unstructured) bool {
	strip := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy()
		unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
		unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
		unstructured.RemoveNestedField(c.Object, "metadata", "generation")
		return c.Object
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}

// needsSettling reports whether the server rewrites a just-created object
// on the next apply even when nothing changed (measured with kubectl apply
// --server-side as well, on Kubernetes 1.37):
//   - an object of which the applier owns no field (a Namespace with only a
//     name) gets no managedFields entry at create; the next apply adds a
//     "before-first-apply" entry and bumps the resourceVersion;
//   - a custom resource whose CRD defaults its status: create drops status,
//     the defaults appear on read, and the next write stores them.
//
// full is the whole object created, or nil when only its metadata was read
// (a built-in kind, whose status needs no settling).
func needsSettling(item *Item, created metav1.Object, full *unstructured.Unstructured, manager string) bool {
	owned := false
	for _, mf := range created.GetManagedFields() {
		if mf.Manager == manager {
			owned = true
		}
	}
	if !owned {
		return true
	}
	if full == nil {
		return false
	}
	status, _, _ := unstructured.NestedFieldNoCopy(full.Object, "status")
	if m, ok := status.(map[string]any); !ok || len(m) == 0 {
		return false
	}
	return item.ServedByBundle || !builtinGroups[item.Resolved.GVR.Group]
}

// builtinGroups are the API groups kube-apiserver serves itself; a custom
// resource is anything else.
var builtinGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true,
	"networking.k8s.io": true, "rbac.authorization.k8s.io": true, "storage.k8s.io": true,
	"apiextensions.k8s.io": true, "admissionregistration.k8s.io": true, "scheduling.k8s.io": true,
	"coordination.k8s.io": true, "node.k8s.io": true, "discovery.k8s.io": true,
	"flowcontrol.apiserver.k8s.io": true, "certificates.k8s.io": true, "events.k8s.io": true,
	"resource.k8s.io": true, "apiregistration.k8s.io": true, "authentication.k8s.io": true,
	"authorization.k8s.io": true, "storagemigration.k8s.io": true, "internal.apiserver.k8s.io": true,
}
