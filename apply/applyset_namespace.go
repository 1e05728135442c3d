package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/apply/applyset"
)

var namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// parentNamespace is what createParentNamespace did.
type parentNamespace struct {
	// created is the plan's Namespace item that was created for the
	// parent, or nil.
	created *Item
	// missing: the namespace does not exist and the run is a dry run, so
	// the parent cannot be checked by the server either.
	missing bool
}

// createParentNamespace creates the namespace the ApplySet parent lives
// in when the bundle holds it and the cluster does not have it yet
// (`apply -f app/ -n shop --applyset web` with Namespace shop in app/), so
// that the parent can still be written before any member (issue 12, F).
// The Namespace is written without the part-of label: it becomes a member
// only in the run proper, once the parent records it, so that a run
// interrupted in between leaves no member the parent misses.
func (a *Applier) createParentNamespace(ctx context.Context, s *applyset.Set, plan *Plan, opts Options) (parentNamespace, error) {
	if s.Exists || s.Parent.Namespace == "" {
		return parentNamespace{}, nil
	}
	var item *Item
	for _, it := range plan.Items {
		if it.Resolved.Ref.GroupKind() == namespaceGK && it.Object.GetName() == s.Parent.Namespace {
			item = it
		}
	}
	if item == nil {
		return parentNamespace{}, nil
	}
	_, err := a.Clients.Metadata.Resource(namespacesGVR).Get(ctx, s.Parent.Namespace, metav1.GetOptions{})
	switch {
	case err == nil:
		return parentNamespace{}, nil
	case !apierrors.IsNotFound(err):
		return parentNamespace{}, fmt.Errorf("read namespace %s of the parent %s: %w", s.Parent.Namespace, s.Parent, err)
	case opts.DryRun != DryRunNone:
		return parentNamespace{missing: true}, nil
	}
	bare := *item
	bare.Object = item.Object.DeepCopy()
	labels := bare.Object.GetLabels()
	delete(labels, applyset.PartOfLabel)
	bare.Object.SetLabels(labels)
	opts.Progress = nil
	r := &run{a: a, opts: opts, results: map[*Item]*Result{}}
	res := r.write(ctx, &bare, &snapshot{listed: map[groupKey]map[string]liveMeta{}})
	if res.Err != nil {
		return parentNamespace{}, fmt.Errorf("create namespace %s (%s) for the parent %s: %w", s.Parent.Namespace, item.Source, s.Parent, res.Err)
	}
	return parentNamespace{created: item}, nil
}

// reportCreated makes the result of a Namespace created for the parent
// say created: the run proper, which added the part-of label, saw it
// existing.
func (p parentNamespace) reportCreated(cs *ChangeSet) {
	if p.created == nil {
		return
	}
	for i := range cs.Results {
		r := &cs.Results[i]
		if r.Ref == p.created.Resolved.Ref && (r.Action == Configured || r.Action == Unchanged) {
			r.Action = Created
		}
	}
}
