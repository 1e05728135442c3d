package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// NoteCRDUpgraded: the object's CRD changes in the same bundle, so a dry
// run, which the server checks against the CRD it holds now, cannot say
// what apply will store; the manifest is merged over the live object.
const NoteCRDUpgraded = "CRD changes in this bundle: manifest merged over the live object, not a server dry run"

// upgradedCRD reports whether the bundle changes the CRD that defines
// item's kind. CRDs have their results by the time it is called.
func (d *differ) upgradedCRD(item *Item) bool {
	for _, dep := range item.deps {
		if dep.Resolved.Ref.GroupKind() == crdGK && d.results[d.index[dep]].Action == DiffUpdate {
			return true
		}
	}
	return false
}

// mergedLocally reads the live object and returns it (nil when there is
// none) with the manifest merged over it, as the apply will leave it once
// the new CRD is in place: fields of the manifest replace the live ones,
// maps are merged, lists are replaced whole (a custom resource's lists
// are atomic unless its schema says otherwise). Fields that an earlier
// apply set and the manifest dropped are not shown as removed.
func (d *differ) mergedLocally(ctx context.Context, item *Item) (live, merged *unstructured.Unstructured, err error) {
	name := item.Object.GetName()
	if obj, ok := d.takeLive(ctx, item); ok {
		live = obj
	} else {
		live, err = item.Resolved.Resource(d.a.Clients.Dynamic).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			live, err = nil, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read live object: %w", err)
		}
	}
	if live == nil {
		return nil, item.Object.DeepCopy(), nil
	}
	live = live.DeepCopy() // diff strips fields from what it renders
	merged = live.DeepCopy()
	mergeOver(merged.Object, item.Object.DeepCopy().Object)
	return live, merged, nil
}

// mergeOver writes src's fields into dst: maps recursively, anything else
// replaced.
func mergeOver(dst, src map[string]any) {
	for k, v := range src {
		sm, ok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if ok && dok {
			mergeOver(dm, sm)
			continue
		}
		dst[k] = v
	}
}
