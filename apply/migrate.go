package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/csaupgrade"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kapply-dev/kapply/dynamicx"
)

// Field ownership migration (issue 12 B). Server-side apply removes a field
// that a manifest dropped only when the applier's own Apply entry owns it.
// Fields written by client-side `kubectl apply`, by kapply's own Update
// mode or create, or by another deployment tool stay forever under those
// managers' entries. kubectl apply --server-side moves the client-side
// managers' fields into its Apply entry first (migrateToSSAIfNecessary,
// client-go's util/csaupgrade); kapply does the same, and with
// --migrate-from also for the named managers of other tools, as flux's
// field-manager cleanup does. Managers not named (controllers, an HPA
// writing /scale) are never taken.

// LastAppliedAnnotation is the annotation client-side `kubectl apply` and
// kapply's update mode keep the last applied manifest in.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// kubectlClientSideManager is the field manager of client-side kubectl
// apply.
const kubectlClientSideManager = "kubectl-client-side-apply"

var lastAppliedPath = fieldpath.NewSet(fieldpath.MakePathOrDie("metadata", "annotations", LastAppliedAnnotation))

// migrationPolicy says whose fields an apply as manager takes over.
type migrationPolicy struct {
	manager string
	// from are the managers named with --migrate-from, taken whatever
	// their operation.
	from []string
}

// taken returns the entries whose fields the apply takes over: Update
// entries of the managers that own the last-applied annotation (kubectl's
// own rule), of kubectl-client-side-apply and of this manager (kapply
// create and --mode=update), and every entry of a manager named in from.
// Subresource entries (/status, /scale) are never taken.
func (p migrationPolicy) taken(entries []metav1.ManagedFieldsEntry) []metav1.ManagedFieldsEntry {
	clientSide := map[string]bool{kubectlClientSideManager: true, p.manager: true}
	for _, e := range csaupgrade.FindFieldsOwners(entries, metav1.ManagedFieldsOperationUpdate, lastAppliedPath) {
		clientSide[e.Manager] = true
	}
	var out []metav1.ManagedFieldsEntry
	for _, e := range entries {
		if e.Subresource != "" || (e.Manager == p.manager && e.Operation == metav1.ManagedFieldsOperationApply) {
			continue
		}
		if (e.Operation == metav1.ManagedFieldsOperationUpdate && clientSide[e.Manager]) || slices.Contains(p.from, e.Manager) {
			out = append(out, e)
		}
	}
	return out
}

// migrate returns the managed fields with the taken entries folded into
// the manager's Apply entry, and the names of the managers taken over (nil
// when there is nothing to do). As csaupgrade does: when the manager has
// no Apply entry yet, the most recent taken entry becomes it; fields of
// taken entries of another API version than that entry are released, not
// converted.
func (p migrationPolicy) migrate(entries []metav1.ManagedFieldsEntry) ([]metav1.ManagedFieldsEntry, []string, error) {
	taken := p.taken(entries)
	if len(taken) == 0 {
		return nil, nil, nil
	}
	isTaken := func(e metav1.ManagedFieldsEntry) bool {
		return slices.ContainsFunc(taken, func(t metav1.ManagedFieldsEntry) bool { return sameEntry(t, e) })
	}
	out := slices.Clone(entries)
	target := slices.IndexFunc(out, func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == p.manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == ""
	})
	if target < 0 {
		target = slices.IndexFunc(out, isTaken) // entries are sorted newest first
	}
	fields, err := fieldSet(out[target])
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, e := range taken {
		if !slices.Contains(names, e.Manager) {
			names = append(names, e.Manager)
		}
		if e.APIVersion != out[target].APIVersion {
			continue
		}
		s, err := fieldSet(e)
		if err != nil {
			return nil, nil, err
		}
		fields = fields.Union(s)
	}
	merged := out[target]
	merged.Manager, merged.Operation = p.manager, metav1.ManagedFieldsOperationApply
	raw, err := fields.ToJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("encode managed fields: %w", err)
	}
	merged.FieldsV1 = metav1.NewFieldsV1(string(raw))
	out[target] = merged
	out = slices.DeleteFunc(out, func(e metav1.ManagedFieldsEntry) bool { return !sameEntry(e, merged) && isTaken(e) })
	slices.Sort(names)
	return out, names, nil
}

func sameEntry(a, b metav1.ManagedFieldsEntry) bool {
	return a.Manager == b.Manager && a.Operation == b.Operation && a.APIVersion == b.APIVersion && a.Subresource == b.Subresource
}

func fieldSet(e metav1.ManagedFieldsEntry) (*fieldpath.Set, error) {
	s := &fieldpath.Set{}
	if e.FieldsV1 == nil {
		return s, nil
	}
	if err := s.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err != nil {
		return nil, fmt.Errorf("decode managed fields of %s: %w", e.Manager, err)
	}
	return s, nil
}

// migrationPatch is csaupgrade's JSON patch: the new managed fields, and
// the resourceVersion they were computed from, so that etcd refuses the
// patch with a 409 when the object moved in between.
func migrationPatch(managed []metav1.ManagedFieldsEntry, rv string) ([]byte, error) {
	return json.Marshal([]map[string]any{
		{"op": "replace", "path": "/metadata/managedFields", "value": managed},
		{"op": "replace", "path": "/metadata/resourceVersion", "value": rv},
	})
}

// migrateOwnership moves the fields of the managers the policy takes into
// the run's Apply entry, before the apply patch, so that the apply removes
// what the manifest dropped. before is the object's metadata as read; the
// metadata after the migration is returned with the managers taken over.
// A 409 (the object moved since it was read) reads it again, a bounded
// number of times.
func (r *run) migrateOwnership(ctx context.Context, item *Item, before liveMeta) (liveMeta, []string, error) {
	policy := migrationPolicy{manager: r.opts.FieldManager, from: r.opts.MigrateFrom}
	k := keyOf(item)
	ri := r.a.Clients.Metadata.Resource(k.gvr).Namespace(k.ns)
	name := item.Object.GetName()
	var lastErr error
	for conflicts := 0; conflicts <= r.opts.UpdateRetries; conflicts++ {
		managed, from, err := policy.migrate(before.managed)
		if err != nil || from == nil {
			return before, nil, err
		}
		data, err := migrationPatch(managed, before.rv)
		if err != nil {
			return before, nil, fmt.Errorf("encode ownership migration: %w", err)
		}
		var out *metav1.PartialObjectMetadata
		err = r.retry(ctx, func() (err error) {
			out, err = ri.Patch(ctx, name, types.JSONPatchType, data, metav1.PatchOptions{FieldManager: r.opts.FieldManager})
			return err
		})
		if err == nil {
			return metaOf(&out.ObjectMeta), from, nil
		}
		if !apierrors.IsConflict(err) {
			return before, nil, fmt.Errorf("migrate field ownership from %s: %w", strings.Join(from, ", "), err)
		}
		lastErr = err
		dynamicx.TrafficFrom(ctx).AddRetry()
		m, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return before, nil, fmt.Errorf("read live object: %w", err)
		}
		before = metaOf(&m.ObjectMeta)
	}
	return before, nil, fmt.Errorf("migrate field ownership: still conflicting after %d retries: %w", r.opts.UpdateRetries, lastErr)
}
