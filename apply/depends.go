package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapply-dev/kapply/dynamicx"
)

// DependsOnAnnotation is cli-utils' annotation (sigs.k8s.io/cli-utils
// pkg/object/dependson), read as it writes it, so that bundles made for
// cli-utils (kpt, Config Sync) work unchanged: a comma-separated list of
// GROUP/namespaces/NAMESPACE/KIND/NAME, or GROUP/KIND/NAME for a
// cluster-scoped object, with an empty GROUP for the core group.
const DependsOnAnnotation = "config.kubernetes.io/depends-on"

// parseDependsOn reads the annotation's value into references.
func parseDependsOn(value string) ([]dynamicx.Ref, error) {
	var refs []dynamicx.Ref
	for _, entry := range strings.Split(value, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, "/")
		var ref dynamicx.Ref
		switch {
		case len(parts) == 3:
			ref = dynamicx.Ref{Group: parts[0], Kind: parts[1], Name: parts[2]}
		case len(parts) == 5 && parts[1] == "namespaces":
			ref = dynamicx.Ref{Group: parts[0], Namespace: parts[2], Kind: parts[3], Name: parts[4]}
		default:
			return nil, fmt.Errorf("%s: %q is not GROUP/namespaces/NAMESPACE/KIND/NAME or GROUP/KIND/NAME", DependsOnAnnotation, entry)
		}
		if ref.Kind == "" || ref.Name == "" || (len(parts) == 5 && ref.Namespace == "") {
			return nil, fmt.Errorf("%s: %q lacks a kind, a name or a namespace", DependsOnAnnotation, entry)
		}
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// external is a dependency that is not in the bundle: an object on the
// cluster that must be ready before its dependents are written.
type external struct {
	resolved dynamicx.Resolved
	wait     *readyOnce
}

// resolveDependencies reads every item's depends-on annotation (and checks
// its replace annotation). A reference to an object of the bundle orders the
// two; one to an object only on the cluster must exist there; a malformed
// value, a dangling reference or a cycle is a *PlanError, before anything
// is written.
func (a *Applier) resolveDependencies(ctx context.Context, plan *Plan) error {
	byRef := make(map[dynamicx.Ref]*Item, len(plan.Items))
	for _, item := range plan.Items {
		byRef[item.Resolved.Ref] = item
	}
	externals := map[dynamicx.Ref]*external{}
	var errs []error
	fail := func(item *Item, err error) {
		errs = append(errs, &ObjectError{Ref: item.Resolved.Ref, Source: item.Source, Err: err})
	}
	for _, item := range plan.Items {
		if err := checkReplaceAnnotation(item); err != nil {
			fail(item, err)
		}
		value, ok := item.Object.GetAnnotations()[DependsOnAnnotation]
		if !ok {
			continue
		}
		refs, err := parseDependsOn(value)
		if err != nil {
			fail(item, err)
			continue
		}
		for _, ref := range refs {
			if dep, ok := byRef[ref]; ok {
				item.after = append(item.after, dep)
				item.DependsOn = append(item.DependsOn, ref)
				continue
			}
			ext, ok := externals[ref]
			if !ok {
				res, err := a.findOnCluster(ctx, ref)
				if err != nil {
					fail(item, err)
					continue
				}
				ext = &external{resolved: res, wait: &readyOnce{}}
				externals[ref] = ext
			}
			item.external = append(item.external, ext)
			item.DependsOn = append(item.DependsOn, ref)
		}
	}
	if len(errs) == 0 {
		errs = findCycles(plan.Items)
	}
	if len(errs) > 0 {
		return &PlanError{Errs: errs}
	}
	return nil
}

// findOnCluster resolves a reference to an object outside the bundle and
// checks that it exists.
func (a *Applier) findOnCluster(ctx context.Context, ref dynamicx.Ref) (dynamicx.Resolved, error) {
	dangling := func(why string) error {
		return fmt.Errorf("depends on %s, which is not in the input and %s", ref, why)
	}
	mapping, err := a.Clients.Mapper.RESTMapping(ref.GroupKind())
	if err != nil {
		if meta.IsNoMatchError(err) {
			return dynamicx.Resolved{}, dangling("whose kind the server does not know")
		}
		return dynamicx.Resolved{}, fmt.Errorf("resolve dependency %s: %w", ref, err)
	}
	namespaced := mapping.Scope.Name() == meta.RESTScopeNameNamespace
	switch {
	case namespaced && ref.Namespace == "":
		return dynamicx.Resolved{}, fmt.Errorf("depends on %s, a namespaced kind: write it GROUP/namespaces/NAMESPACE/KIND/NAME", ref)
	case !namespaced && ref.Namespace != "":
		return dynamicx.Resolved{}, fmt.Errorf("depends on %s, a cluster-scoped kind: write it GROUP/KIND/NAME", ref)
	}
	res := dynamicx.Resolved{Ref: ref, GVR: mapping.Resource, Namespaced: namespaced}
	_, err = a.Clients.Metadata.Resource(res.GVR).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return dynamicx.Resolved{}, dangling("not on the cluster")
	case err != nil:
		return dynamicx.Resolved{}, fmt.Errorf("read dependency %s: %w", ref, err)
	}
	return res, nil
}

// findCycles returns one error per cycle of depends-on references, naming
// the chain and where each object comes from.
func findCycles(items []*Item) []error {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[*Item]int{}
	var errs []error
	var stack []*Item
	var visit func(item *Item)
	visit = func(item *Item) {
		state[item] = visiting
		stack = append(stack, item)
		for _, dep := range item.after {
			switch state[dep] {
			case unvisited:
				visit(dep)
			case visiting:
				start := slices.Index(stack, dep)
				chain := make([]string, 0, len(stack)-start+1)
				for _, it := range stack[start:] {
					chain = append(chain, fmt.Sprintf("%s (%s)", it.Resolved.Ref, it.Source))
				}
				chain = append(chain, dep.Resolved.Ref.String())
				errs = append(errs, &ObjectError{Ref: dep.Resolved.Ref, Source: dep.Source,
					Err: errors.New("depends-on cycle: " + strings.Join(chain, " -> "))})
			}
		}
		stack = stack[:len(stack)-1]
		state[item] = done
	}
	for _, item := range items {
		if state[item] == unvisited {
			visit(item)
		}
	}
	return errs
}
