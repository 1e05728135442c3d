package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/apply/watcher"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// Item is one object of a plan: the object to send (namespace settled),
// where it came from, its resource, and what it waits for.
type Item struct {
	Object   *unstructured.Unstructured
	Source   manifests.Source
	Resolved dynamicx.Resolved
	Stage    int
	// ServedByBundle is set when the object's kind is defined by a CRD of
	// the same bundle that the server does not serve yet: it is resolved
	// again once that CRD is established.
	ServedByBundle bool
	// deps are the plan items that must succeed first: the Namespace the
	// object lives in and the CRD that defines its kind, when they are part
	// of the bundle.
	deps []*Item
	// DependsOn are the objects its depends-on annotation names, in the
	// bundle (after) or only on the cluster (external).
	DependsOn []dynamicx.Ref
	after     []*Item
	external  []*external
	// writtenNamespace is metadata.namespace as the document gave it.
	writtenNamespace string
	// warning is about the manifest itself (server-set metadata), or "".
	warning string
}

// Plan is a bundle resolved and ordered, ready to write. Making one sends
// no request that writes.
type Plan struct {
	Stages [numStages][]*Item
	// Items is every item in input order.
	Items []*Item
}

// TargetsOf returns the objects of a plan as targets to wait for or
// report on, in input order.
func TargetsOf(plan *Plan) []watcher.Target {
	targets := make([]watcher.Target, len(plan.Items))
	for i, item := range plan.Items {
		targets[i] = watcher.Target{Resolved: item.Resolved, Source: item.Source, SkipWait: item.Object.GetAnnotations()[watcher.WaitAnnotation] == "skip"}
	}
	return targets
}

// PlanError is returned when a bundle cannot be planned: unknown kinds,
// namespace errors. Nothing has been written. Errs holds one error per
// object, each naming it and its source.
type PlanError struct {
	Errs []error
}

func (e *PlanError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%s cannot be applied, nothing was written:\n  %s", CountObjects(len(e.Errs)), strings.Join(msgs, "\n  "))
}

// Unwrap returns the per-object errors.
func (e *PlanError) Unwrap() []error { return e.Errs }

// ObjectError ties an error to one object and its source.
type ObjectError struct {
	Ref    dynamicx.Ref
	Source manifests.Source
	Err    error
}

func (e *ObjectError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.Source, e.Source.Line, e.Ref.KindName(), e.Err)
}

// Unwrap returns the underlying error.
func (e *ObjectError) Unwrap() error { return e.Err }

// bundleCRD is what a CRD in the bundle says about the kind it defines.
type bundleCRD struct {
	item       *Item
	resource   string
	namespaced bool
	versions   map[string]bool
}

// MakePlan resolves every object through the mapper and orders the
// bundle. A kind the server does not serve is accepted only when a CRD of
// the same bundle defines it; every other problem is collected into one
// *PlanError. A server that cannot be reached ends planning at once with
// a *dynamicx.UnreachableError.
func MakePlan(ctx context.Context, mapper meta.RESTMapper, cfg *dynamicx.Config, objs []manifests.Object) (*Plan, error) {
	p := &Plan{}
	crds := map[schema.GroupKind]*bundleCRD{}
	namespaces := map[string]*Item{}
	awaited := map[schema.GroupVersionKind]bool{} // kinds looked for among the cluster's CRDs
	var errs []error

	// CRDs and Namespaces first, so other objects can find them.
	early := map[int]*Item{}
	for i, o := range objs {
		gk := o.Obj.GroupVersionKind().GroupKind()
		if gk != crdGK && gk != namespaceGK {
			continue
		}
		item, err := resolveItem(ctx, mapper, cfg, o)
		if ue := cfg.Unreachable(err); ue != nil {
			return nil, ue // once, not once per object after its own retries
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		early[i] = item
		if gk == crdGK {
			bc, crdGroupKind, err := describeCRD(item)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			crds[crdGroupKind] = bc
		} else {
			namespaces[item.Object.GetName()] = item
		}
	}
	for i, o := range objs {
		gk := o.Obj.GroupVersionKind().GroupKind()
		if gk == crdGK || gk == namespaceGK {
			if item, ok := early[i]; ok {
				p.Items = append(p.Items, item)
			}
			continue
		}
		item, err := resolveItem(ctx, mapper, cfg, o)
		if _, inBundle := crds[gk]; err != nil && meta.IsNoMatchError(err) && !inBundle {
			// Its CRD may be on the cluster, written a moment ago and
			// not established yet.
			gvk := o.Obj.GroupVersionKind()
			if rm, ok := mapper.(meta.ResettableRESTMapper); ok && !awaited[gvk] {
				awaited[gvk] = true
				if awaitClusterCRD(ctx, cfg, gvk) {
					item, err = resolveAfterEstablished(ctx, rm, cfg, o)
				}
			}
		}
		if err != nil && meta.IsNoMatchError(err) {
			if bc, ok := crds[gk]; ok && bc.versions[o.Obj.GroupVersionKind().Version] {
				item, err = resolveFromBundle(cfg, o, bc)
			} else if ok {
				err = &ObjectError{Ref: dynamicx.RefOf(o.Obj), Source: o.Source, Err: fmt.Errorf("version %q is not served by the CRD in %s", o.Obj.GroupVersionKind().Version, bc.item.Source)}
			}
		}
		if ue := cfg.Unreachable(err); ue != nil {
			return nil, ue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if bc, ok := crds[gk]; ok {
			item.deps = append(item.deps, bc.item)
		}
		p.Items = append(p.Items, item)
	}
	errs = append(errs, duplicatesAfterDefaulting(p.Items)...)
	if len(errs) > 0 {
		return nil, &PlanError{Errs: errs}
	}
	for _, item := range p.Items {
		if item.Resolved.Namespaced {
			if ns, ok := namespaces[item.Resolved.Ref.Namespace]; ok {
				item.deps = append(item.deps, ns)
			}
		}
		p.Stages[item.Stage] = append(p.Stages[item.Stage], item)
	}
	return p, nil
}

// duplicatesAfterDefaulting refuses two documents that name the same
// object only once the namespace is settled (one names none, the other -n
// or the context's namespace): the decoder cannot see them, and both would
// be written in parallel, the last PATCH winning (issue 12, D).
func duplicatesAfterDefaulting(items []*Item) []error {
	seen := make(map[dynamicx.Ref]*Item, len(items))
	var errs []error
	for _, item := range items {
		first, dup := seen[item.Resolved.Ref]
		if !dup {
			seen[item.Resolved.Ref] = item
			continue
		}
		errs = append(errs, &ObjectError{Ref: item.Resolved.Ref, Source: item.Source,
			Err: fmt.Errorf("duplicate object in namespace %q once the namespace is defaulted: also defined at %s:%d (%s there, %s here)",
				item.Resolved.Ref.Namespace, first.Source, first.Source.Line, namespaceAsWritten(first), namespaceAsWritten(item))})
	}
	return errs
}

// namespaceAsWritten says how a document gave its namespace, before
// defaulting.
func namespaceAsWritten(item *Item) string {
	if item.writtenNamespace != "" {
		return fmt.Sprintf("namespace %q", item.writtenNamespace)
	}
	return "no namespace"
}

func resolveItem(ctx context.Context, mapper meta.RESTMapper, cfg *dynamicx.Config, o manifests.Object) (*Item, error) {
	res, err := dynamicx.Resolve(ctx, mapper, cfg, o.Obj)
	if err != nil {
		if meta.IsNoMatchError(err) {
			gvk := o.Obj.GroupVersionKind()
			return nil, &ObjectError{Ref: dynamicx.RefOf(o.Obj), Source: o.Source, Err: &unknownKindError{gvk: gvk, cause: err}}
		}
		return nil, &ObjectError{Ref: dynamicx.RefOf(o.Obj), Source: o.Source, Err: err}
	}
	return newItem(o, res), nil
}

// newItem shares the decoded object's maps instead of copying them (a
// deep copy per object doubled the memory of a large bundle). The only
// changes a plan makes to an object are to metadata fields (the namespace
// here, the ApplySet label in labelMembers), and both go through
// ownMetadata, so the caller's objects are never modified.
func newItem(o manifests.Object, res dynamicx.Resolved) *Item {
	obj := o.Obj
	if res.Namespaced && obj.GetNamespace() != res.Ref.Namespace {
		obj = ownMetadata(obj)
		obj.SetNamespace(res.Ref.Namespace)
	}
	item := &Item{Object: obj, Source: o.Source, Resolved: res, Stage: stageOf(res.Ref.GroupKind()), writtenNamespace: o.Obj.GetNamespace()}
	item.warning = serverSetWarning(item)
	return item
}

// withWarning puts the item's own warning, if any, before the server's.
func (item *Item) withWarning(warnings []string) []string {
	if item.warning == "" {
		return warnings
	}
	return append([]string{item.warning}, warnings...)
}

// ownMetadata returns a copy of u that shares everything with u but its
// top-level map and its metadata map: a top-level metadata field (the
// namespace, the labels map as a whole) can then be set on the copy
// without changing u.
func ownMetadata(u *unstructured.Unstructured) *unstructured.Unstructured {
	top := maps.Clone(u.Object)
	if md, ok := top["metadata"].(map[string]any); ok {
		top["metadata"] = maps.Clone(md)
	}
	return &unstructured.Unstructured{Object: top}
}

func resolveFromBundle(cfg *dynamicx.Config, o manifests.Object, bc *bundleCRD) (*Item, error) {
	gvk := o.Obj.GroupVersionKind()
	gvr := schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: bc.resource}
	res, err := dynamicx.ResolveWithScope(cfg, o.Obj, gvr, bc.namespaced)
	if err != nil {
		return nil, &ObjectError{Ref: dynamicx.RefOf(o.Obj), Source: o.Source, Err: err}
	}
	item := newItem(o, res)
	item.ServedByBundle = true
	return item, nil
}

// unknownKindError is a kind that neither the server nor a CRD of the
// bundle defines.
type unknownKindError struct {
	gvk   schema.GroupVersionKind
	cause error
}

func (e *unknownKindError) Error() string {
	return fmt.Sprintf("unknown kind %q in version %q: the server has no such API and no CRD in the input defines it", e.gvk.Kind, e.gvk.GroupVersion().String())
}

func (e *unknownKindError) Unwrap() error { return e.cause }

// IsUnknownKind reports whether err says an object's kind is unknown.
func IsUnknownKind(err error) bool {
	var u *unknownKindError
	return errors.As(err, &u)
}

func describeCRD(item *Item) (*bundleCRD, schema.GroupKind, error) {
	u := item.Object
	group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
	plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
	scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
	versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
	if group == "" || kind == "" || plural == "" {
		return nil, schema.GroupKind{}, &ObjectError{Ref: item.Resolved.Ref, Source: item.Source, Err: errors.New("a CustomResourceDefinition needs spec.group, spec.names.kind and spec.names.plural")}
	}
	bc := &bundleCRD{item: item, resource: plural, namespaced: scope != "Cluster", versions: map[string]bool{}}
	for _, v := range versions {
		if vm, ok := v.(map[string]any); ok {
			name, _ := vm["name"].(string)
			served, _ := vm["served"].(bool)
			if name != "" && served {
				bc.versions[name] = true
			}
		}
	}
	return bc, schema.GroupKind{Group: group, Kind: kind}, nil
}
