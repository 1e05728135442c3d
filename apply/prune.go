package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// Prune actions.
const (
	// Pruned: a member that left the input was deleted.
	Pruned Action = "pruned"
	// Kept: a member that left the input was not deleted, because it is a
	// Namespace or CRD (only pruned on request) or is annotated to be kept.
	Kept Action = "kept"
)

// ErrPruneRefused is wrapped by the reason a prune did not run.
var ErrPruneRefused = errors.New("nothing was pruned")

// pruneCandidate is a member of the set that is not in the input.
type pruneCandidate struct {
	ref   dynamicx.Ref
	gvr   schema.GroupVersionResource
	uid   string
	stage int
	keep  string // why it is kept, or ""
}

// pruneCandidates lists the members of s (labelled with its ID, of the
// recorded kinds, in the recorded namespaces) that are not in plan, and
// marks those that must be kept. Each member is listed once. Recorded
// kinds the server no longer serves are left out with a warning.
func (a *Applier) pruneCandidates(ctx context.Context, s *applyset.Set, plan *Plan, gks map[schema.GroupKind]bool, nss map[string]bool) ([]pruneCandidate, error) {
	failedGroups, err := a.pruneDiscovery(gks)
	if err != nil {
		return nil, err
	}
	inInput := map[dynamicx.Ref]bool{}
	for _, item := range plan.Items {
		inInput[item.Resolved.Ref] = true
	}
	nsList := s.MemberNamespaces(nss)
	var candidates []pruneCandidate
	seen := map[types.UID]bool{}
	for _, gk := range sortedGKs(gks) {
		members, mapping, err := a.listMembers(ctx, s, gk, nsList, failedGroups)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			ref := dynamicx.Ref{Group: gk.Group, Kind: gk.Kind, Namespace: m.Namespace, Name: m.Name}
			if inInput[ref] || m.DeletionTimestamp != nil || seen[m.UID] {
				continue
			}
			seen[m.UID] = true
			c := pruneCandidate{ref: ref, gvr: mapping.Resource, uid: string(m.UID), stage: stageOf(gk)}
			switch {
			case m.Annotations[applyset.KeepAnnotation] == "disabled" || m.Annotations["cli-utils.sigs.k8s.io/on-remove"] == "keep":
				c.keep = "annotated to be kept"
			case gk == namespaceGK && !s.Options.PruneNamespaces:
				c.keep = "a Namespace is only pruned with --prune-namespaces"
			case gk == crdGK && !s.Options.PruneCRDs:
				c.keep = "a CRD is only pruned with --prune-crds (it deletes all its resources)"
			}
			candidates = append(candidates, c)
		}
	}
	return candidates, nil
}

// listMembers lists the members of s of one kind: cluster-wide for a
// cluster-scoped kind, else in each of nsList. A kind that is gone (see
// recordedMapping) has none; a list answered 404 means the discovery
// cache was stale, and the kind is resolved again from a fresh one.
func (a *Applier) listMembers(ctx context.Context, s *applyset.Set, gk schema.GroupKind, nsList []string, failedGroups map[string]bool) ([]metav1.PartialObjectMetadata, *meta.RESTMapping, error) {
	selector := metav1.ListOptions{LabelSelector: applyset.PartOfLabel + "=" + s.ID}
	for fresh := false; ; fresh = true {
		mapping, gone, err := a.recordedMapping(gk, failedGroups, fresh)
		if err != nil {
			return nil, nil, err
		}
		if gone {
			s.Warnings = append(s.Warnings, goneWarning(s, gk))
			return nil, nil, nil
		}
		scopes := []string{""}
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			scopes = nsList
		}
		var members []metav1.PartialObjectMetadata
		stale := false
		for _, ns := range scopes {
			list, err := a.Clients.Metadata.Resource(mapping.Resource).Namespace(ns).List(ctx, selector)
			if apierrors.IsNotFound(err) && !fresh {
				stale = true
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%w: list members %s in %q: %v", ErrPruneRefused, mapping.Resource.Resource, ns, err)
			}
			members = append(members, list.Items...)
		}
		if !stale {
			return members, mapping, nil
		}
		a.Clients.Mapper.Reset()
	}
}

func sortedGKs(gks map[schema.GroupKind]bool) []schema.GroupKind {
	out := make([]schema.GroupKind, 0, len(gks))
	for gk := range gks {
		out = append(out, gk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// prune deletes the members of s that are not in plan, in reverse apply
// order, and returns one result per member that left the input. The
// group-kinds and namespaces of kept members are returned so that the
// parent keeps tracking them.
func (a *Applier) prune(ctx context.Context, s *applyset.Set, plan *Plan, gks map[schema.GroupKind]bool, nss map[string]bool, opts Options) ([]Result, map[schema.GroupKind]bool, map[string]bool, error) {
	candidates, err := a.pruneCandidates(ctx, s, plan, gks, nss)
	if err != nil {
		return nil, nil, nil, err
	}
	toDelete := 0
	for _, c := range candidates {
		if c.keep == "" {
			toDelete++
		}
	}
	if s.Options.MaxPrune > 0 && toDelete > s.Options.MaxPrune {
		return nil, nil, nil, fmt.Errorf("%w: the run would prune %s, more than --max-prune %d", ErrPruneRefused, CountObjects(toDelete), s.Options.MaxPrune)
	}
	// Reverse apply order: workloads before Services before namespaces.
	sort.SliceStable(candidates, func(i, j int) bool {
		if candidates[i].stage != candidates[j].stage {
			return candidates[i].stage > candidates[j].stage
		}
		return candidates[i].ref.String() < candidates[j].ref.String()
	})
	keptGKs, keptNSs := map[schema.GroupKind]bool{}, map[string]bool{}
	results := make([]Result, len(candidates))
	dryRun := opts.DryRun != DryRunNone
	for start := 0; start < len(candidates); {
		end := start
		for end < len(candidates) && candidates[end].stage == candidates[start].stage {
			end++
		}
		stage, out := candidates[start:end], results[start:end]
		base := func(c pruneCandidate) Result {
			return Result{Ref: c.ref, Source: manifests.Source{Path: "applyset " + s.Parent.String()}, DryRun: dryRun}
		}
		parallel{
			limit: opts.Concurrency,
			settle: func(i int) bool {
				c := stage[i]
				if c.keep == "" {
					return false
				}
				out[i] = base(c)
				out[i].Action, out[i].Err = Kept, errors.New(c.keep)
				keptGKs[c.ref.GroupKind()] = true
				if c.ref.Namespace != "" {
					keptNSs[c.ref.Namespace] = true
				}
				return true
			},
			work: func(i int) { out[i] = a.pruneOne(ctx, stage[i], base(stage[i]), opts) },
		}.run(len(stage))
		start = end
	}
	for _, r := range results {
		if r.Action == Failed {
			// Still a member: keep tracking it.
			keptGKs[r.Ref.GroupKind()] = true
			if r.Ref.Namespace != "" {
				keptNSs[r.Ref.Namespace] = true
			}
		}
	}
	return results, keptGKs, keptNSs, nil
}

// pruneOne deletes one member, only if it is still the object that was
// listed (UID precondition), in the background (dependents are collected
// by the garbage collector).
func (a *Applier) pruneOne(ctx context.Context, c pruneCandidate, res Result, opts Options) Result {
	policy := metav1.DeletePropagationBackground
	uid := types.UID(c.uid)
	delOpts := metav1.DeleteOptions{PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &uid}}
	if opts.DryRun == DryRunServer {
		delOpts.DryRun = []string{metav1.DryRunAll}
	}
	if opts.DryRun == DryRunClient {
		res.Action = Pruned
		return res
	}
	if c.ref.GroupKind() == crdGK {
		// As delete -f: a CRD installed a moment ago is listed first.
		note, err := a.prepareCRDDelete(ctx, c.ref.Name)
		if err != nil {
			res.Action, res.Err = Failed, fmt.Errorf("prune: %w", err)
			return res
		}
		res.Cascade = note
	}
	err := a.Clients.Dynamic.Resource(c.gvr).Namespace(c.ref.Namespace).Delete(ctx, c.ref.Name, delOpts)
	switch {
	case err == nil, apierrors.IsNotFound(err):
		res.Action = Pruned
	default:
		res.Action, res.Err = Failed, fmt.Errorf("prune: %w", err)
	}
	return res
}

// previewPrune lists what apply --prune would do with the members of s
// that are not in plan, without writing anything: Pruned (DryRun set) or
// Kept results, sorted by object.
func (a *Applier) previewPrune(ctx context.Context, s *applyset.Set, plan *Plan, gks map[schema.GroupKind]bool, nss map[string]bool) ([]Result, error) {
	candidates, err := a.pruneCandidates(ctx, s, plan, gks, nss)
	if err != nil {
		return nil, err
	}
	results := make([]Result, 0, len(candidates))
	for _, c := range candidates {
		r := Result{Ref: c.ref, Source: manifests.Source{Path: "applyset " + s.Parent.String()}, Action: Pruned, DryRun: true}
		if c.keep != "" {
			r.Action, r.Err = Kept, errors.New(c.keep)
		}
		results = append(results, r)
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].Ref.String() < results[j].Ref.String() })
	return results, nil
}
