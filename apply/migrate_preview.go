package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// previewMigration removes from merged, the result of a dry-run apply,
// what the ownership migration would remove when the apply is run for
// real: the fields only taken managers own, that no other manager (this
// one, i.e. the manifest, included) owns. A dry run cannot show it: the
// migration is a write of its own, and the apply only removes the fields
// once it is stored. It returns the managers that would be taken over.
func (p migrationPolicy) previewMigration(merged *unstructured.Unstructured) ([]string, error) {
	entries := merged.GetManagedFields()
	taken := p.taken(entries)
	if len(taken) == 0 {
		return nil, nil
	}
	var names []string
	fromTaken, kept := &fieldpath.Set{}, &fieldpath.Set{}
	for _, e := range entries {
		s, err := fieldSet(e)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(taken, func(t metav1.ManagedFieldsEntry) bool { return sameEntry(t, e) }) {
			fromTaken = fromTaken.Union(s)
			if !slices.Contains(names, e.Manager) {
				names = append(names, e.Manager)
			}
		} else {
			kept = kept.Union(s)
		}
	}
	fromTaken.Difference(kept).Iterate(func(path fieldpath.Path) {
		if !ownsBelow(kept, path) {
			merged.Object = removePath(merged.Object, path).(map[string]any)
		}
	})
	slices.Sort(names)
	return names, nil
}

// ownsBelow reports whether s holds a field under path: a map or list that
// a taken manager set as a whole stays when another manager owns part of
// it.
func ownsBelow(s *fieldpath.Set, path fieldpath.Path) bool {
	for _, pe := range path {
		next, ok := s.Children.Get(pe)
		if !ok {
			return false
		}
		s = next
	}
	return !s.Empty()
}

// removePath removes the field or list item at path from v and returns v.
// A path that is not there leaves v as it is.
func removePath(v any, path fieldpath.Path) any {
	pe, last := path[0], len(path) == 1
	if pe.FieldName != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		child, ok := m[*pe.FieldName]
		switch {
		case !ok:
		case last:
			delete(m, *pe.FieldName)
		default:
			m[*pe.FieldName] = removePath(child, path[1:])
		}
		return m
	}
	l, ok := v.([]any)
	if !ok {
		return v
	}
	for i, item := range l {
		if !matchesItem(pe, i, item) {
			continue
		}
		if last {
			return slices.Delete(l, i, i+1)
		}
		l[i] = removePath(item, path[1:])
		return l
	}
	return l
}

// matchesItem reports whether the list item at index i is the one the path
// element names: by its key fields (an associative list), its value (a
// set) or its index.
func matchesItem(pe fieldpath.PathElement, i int, item any) bool {
	switch {
	case pe.Key != nil:
		m, ok := item.(map[string]any)
		if !ok {
			return false
		}
		for _, f := range *pe.Key {
			if !value.Equals(value.NewValueInterface(m[f.Name]), f.Value) {
				return false
			}
		}
		return true
	case pe.Value != nil:
		return value.Equals(value.NewValueInterface(item), *pe.Value)
	case pe.Index != nil:
		return *pe.Index == i
	}
	return false
}

// conflictsOnlyWith reports whether err is a server-side apply conflict
// with no other managers than those the migration takes: a dry run (diff,
// --dry-run=server) cannot store the migration that would end it, so it is
// sent again with force, which takes over those managers' fields as the
// migration would.
func conflictsOnlyWith(err error, managers []string) bool {
	var se apierrors.APIStatus
	if len(managers) == 0 || !apierrors.IsConflict(err) || !errors.As(err, &se) || se.Status().Details == nil {
		return false
	}
	causes := se.Status().Details.Causes
	for _, c := range causes {
		if c.Type != metav1.CauseTypeFieldManagerConflict {
			return false
		}
		_, rest, _ := strings.Cut(c.Message, `"`)
		name, _, _ := strings.Cut(rest, `"`)
		if !slices.Contains(managers, name) {
			return false
		}
	}
	return len(causes) > 0
}

// takenNames returns the names of the managers the policy takes from an
// object's managed fields.
func (p migrationPolicy) takenNames(entries []metav1.ManagedFieldsEntry) []string {
	var names []string
	for _, e := range p.taken(entries) {
		if !slices.Contains(names, e.Manager) {
			names = append(names, e.Manager)
		}
	}
	return names
}

// previewOnServer is previewMigration made exact: the server defaults
// again some of the fields the migration releases (a container's
// imagePullPolicy, which client-side apply's create owns) when the real
// apply removes them. So the object, less what the migration removes, is
// sent back over the live one as a dry-run JSON patch of its top-level
// fields, labels and annotations, and the server's answer is the object
// as apply would leave it. Without a migration it returns merged as it
// is.
func (p migrationPolicy) previewOnServer(ctx context.Context, ri dynamic.ResourceInterface, live, merged *unstructured.Unstructured) (*unstructured.Unstructured, []string, error) {
	from, err := p.previewMigration(merged)
	if err != nil || from == nil {
		return merged, from, err
	}
	var ops []map[string]any
	set := func(path string, have bool, v any, had bool) {
		switch {
		case have:
			ops = append(ops, map[string]any{"op": "add", "path": path, "value": v})
		case had:
			ops = append(ops, map[string]any{"op": "remove", "path": path})
		}
	}
	for k, v := range merged.Object {
		if k != "apiVersion" && k != "kind" && k != "metadata" && k != "status" {
			set("/"+jsonPointerEscape(k), true, v, false)
		}
	}
	for k := range live.Object {
		if _, ok := merged.Object[k]; !ok && k != "status" {
			set("/"+jsonPointerEscape(k), false, nil, true)
		}
	}
	for _, f := range []string{"labels", "annotations"} {
		v, have, _ := unstructured.NestedFieldNoCopy(merged.Object, "metadata", f)
		_, had, _ := unstructured.NestedFieldNoCopy(live.Object, "metadata", f)
		set("/metadata/"+f, have, v, had)
	}
	data, err := json.Marshal(ops)
	if err != nil {
		return nil, nil, fmt.Errorf("encode migration preview: %w", err)
	}
	out, err := ri.Patch(ctx, live.GetName(), types.JSONPatchType, data, metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: p.manager})
	if err != nil {
		return nil, nil, fmt.Errorf("preview the field ownership migration from %s: %w", strings.Join(from, ", "), err)
	}
	return out, from, nil
}

func jsonPointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
