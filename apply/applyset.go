package apply

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapply-dev/kapply/dynamicx"
)

// Labels and annotations of the ApplySet specification (KEP-3659), as
// kubectl's --applyset writes them, so that any ApplySet-aware tool finds
// kapply's members and kapply finds theirs.
const (
	ApplySetToolingAnnotation    = "applyset.kubernetes.io/tooling"
	ApplySetGKsAnnotation        = "applyset.kubernetes.io/contains-group-kinds"
	ApplySetNamespacesAnnotation = "applyset.kubernetes.io/additional-namespaces"
	ApplySetParentIDLabel        = "applyset.kubernetes.io/id"
	ApplySetPartOfLabel          = "applyset.kubernetes.io/part-of"
)

// KeepAnnotation on a member keeps it when it leaves the input: it is
// never pruned. cli-utils' `cli-utils.sigs.k8s.io/on-remove: keep` is
// honoured too.
const KeepAnnotation = "kapply.dev/prune"

// ApplySetOptions turn a run into one of an ApplySet.
type ApplySetOptions struct {
	// Parent is `[RESOURCE][.GROUP]/NAME`; a bare NAME is a Secret, as
	// with kubectl. Namespaced parents live in the run's namespace.
	Parent string
	// Tooling is written to the parent as `NAME/VERSION`; sets of other
	// tooling are refused unless Takeover.
	Tooling string
	// Takeover adopts a set whose parent names other tooling (e.g. kubectl).
	Takeover bool
	// OverwriteOwnership adopts objects that belong to another ApplySet.
	OverwriteOwnership bool
	// Prune deletes members that are no longer in the input.
	Prune bool
	// AllowEmpty lets an empty input prune the whole set.
	AllowEmpty bool
	// PruneNamespaces and PruneCRDs allow pruning those kinds: deleting a
	// Namespace deletes everything in it, deleting a CRD all its resources.
	PruneNamespaces bool
	PruneCRDs       bool
	// MaxPrune refuses a prune that would delete more objects; 0: no limit.
	MaxPrune int
}

// ApplySetID is the ID of the set whose parent is name/namespace of kind
// and group: base64url(sha256(NAME.NAMESPACE.KIND.GROUP)), in the v1
// format `applyset-ID-v1`, exactly as kubectl computes it.
func ApplySetID(name, namespace, kind, group string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{name, namespace, kind, group}, ".")))
	return "applyset-" + base64.RawURLEncoding.EncodeToString(sum[:]) + "-v1"
}

// applySet is the state of one ApplySet during a run.
type applySet struct {
	opts       ApplySetOptions
	mapping    *meta.RESTMapping
	parent     dynamicx.Ref
	id         string
	exists     bool
	currentGKs map[schema.GroupKind]bool
	currentNSs map[string]bool
}

// ApplySetError is a problem with the ApplySet found before anything was
// written: a malformed parent, a parent of other tooling.
type ApplySetError struct{ Err error }

func (e *ApplySetError) Error() string { return "applyset: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ApplySetError) Unwrap() error { return e.Err }

// openApplySet resolves the parent and reads what it records.
func (a *Applier) openApplySet(ctx context.Context, opts ApplySetOptions) (*applySet, error) {
	resource, name, hasType := strings.Cut(opts.Parent, "/")
	if !hasType {
		resource, name = "secrets", opts.Parent
	}
	if name == "" {
		return nil, &ApplySetError{fmt.Errorf("parent %q has no name: use [RESOURCE][.GROUP]/NAME", opts.Parent)}
	}
	gvk, err := a.Clients.Mapper.KindFor(schema.ParseGroupResource(resource).WithVersion(""))
	if err != nil {
		return nil, &ApplySetError{fmt.Errorf("parent %q: %w", opts.Parent, err)}
	}
	mapping, err := a.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, &ApplySetError{fmt.Errorf("parent %q: %w", opts.Parent, err)}
	}
	ns := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns = a.Clients.Config.Namespace
	}
	s := &applySet{
		opts:       opts,
		mapping:    mapping,
		parent:     dynamicx.Ref{Group: gvk.Group, Kind: gvk.Kind, Namespace: ns, Name: name},
		id:         ApplySetID(name, ns, gvk.Kind, gvk.Group),
		currentGKs: map[schema.GroupKind]bool{},
		currentNSs: map[string]bool{},
	}
	live, err := a.Clients.Metadata.Resource(mapping.Resource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return s, nil
	case err != nil:
		return nil, &ApplySetError{fmt.Errorf("read parent %s: %w", s.parent, err)}
	}
	s.exists = true
	tooling, ok := live.Annotations[ApplySetToolingAnnotation]
	if !ok {
		return nil, &ApplySetError{fmt.Errorf("parent %s exists and has no %s annotation: it is not an ApplySet parent", s.parent, ApplySetToolingAnnotation)}
	}
	if base, _, _ := strings.Cut(tooling, "/"); base != toolName(opts.Tooling) && !opts.Takeover {
		return nil, &ApplySetError{fmt.Errorf("parent %s is managed by tooling %q instead of %q: use --applyset-takeover to adopt the set", s.parent, base, toolName(opts.Tooling))}
	}
	if got := live.Labels[ApplySetParentIDLabel]; got != s.id {
		return nil, &ApplySetError{fmt.Errorf("parent %s has label %s=%q, want %q", s.parent, ApplySetParentIDLabel, got, s.id)}
	}
	if gks := live.Annotations[ApplySetGKsAnnotation]; gks != "" {
		for _, gk := range strings.Split(gks, ",") {
			s.currentGKs[schema.ParseGroupKind(gk)] = true
		}
	}
	if nss := live.Annotations[ApplySetNamespacesAnnotation]; nss != "" {
		for _, n := range strings.Split(nss, ",") {
			s.currentNSs[n] = true
		}
	}
	return s, nil
}

func toolName(tooling string) string {
	name, _, _ := strings.Cut(tooling, "/")
	return name
}

// labelMembers adds the part-of label to every object of the plan and
// returns the group-kinds and namespaces they span.
func (s *applySet) labelMembers(plan *Plan) (map[schema.GroupKind]bool, map[string]bool) {
	gks, nss := map[schema.GroupKind]bool{}, map[string]bool{}
	for _, item := range plan.Items {
		labels := item.Object.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[ApplySetPartOfLabel] = s.id
		item.Object.SetLabels(labels)
		gks[item.Resolved.Ref.GroupKind()] = true
		if item.Resolved.Namespaced {
			nss[item.Resolved.Ref.Namespace] = true
		}
	}
	return gks, nss
}

// writeParent records gks and nss on the parent with server-side apply,
// as field manager TOOL-applyset (kubectl's convention). Conflicts are
// forced: the parent's ApplySet fields belong to whoever manages the set.
func (a *Applier) writeParent(ctx context.Context, s *applySet, gks map[schema.GroupKind]bool, nss map[string]bool, dryRun []string) error {
	var gkList, nsList []string
	for gk := range gks {
		gkList = append(gkList, gk.String())
	}
	for n := range nss {
		if n != s.parent.Namespace {
			nsList = append(nsList, n)
		}
	}
	sort.Strings(gkList)
	sort.Strings(nsList)
	body := map[string]any{
		"apiVersion": s.mapping.GroupVersionKind.GroupVersion().String(),
		"kind":       s.mapping.GroupVersionKind.Kind,
		"metadata": map[string]any{
			"name":   s.parent.Name,
			"labels": map[string]string{ApplySetParentIDLabel: s.id},
			"annotations": map[string]string{
				ApplySetToolingAnnotation:    s.opts.Tooling,
				ApplySetGKsAnnotation:        strings.Join(gkList, ","),
				ApplySetNamespacesAnnotation: strings.Join(nsList, ","),
			},
		},
	}
	if s.parent.Namespace != "" {
		body["metadata"].(map[string]any)["namespace"] = s.parent.Namespace
	}
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	force := true
	ri := a.Clients.Dynamic.Resource(s.mapping.Resource).Namespace(s.parent.Namespace)
	if _, err := ri.Patch(ctx, s.parent.Name, types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: toolName(s.opts.Tooling) + "-applyset", Force: &force, DryRun: dryRun,
	}); err != nil {
		return fmt.Errorf("write ApplySet parent %s: %w", s.parent, err)
	}
	s.exists = true
	return nil
}

// foreignOwner returns the ApplySet ID an object belongs to when it is not
// this set, from its live labels.
func (s *applySet) foreignOwner(labels map[string]string) string {
	if owner, ok := labels[ApplySetPartOfLabel]; ok && owner != s.id {
		return owner
	}
	return ""
}

// ErrOtherApplySet is wrapped by the error of an object that belongs to
// another ApplySet.
var ErrOtherApplySet = errors.New("object belongs to another ApplySet")

func union[K comparable](a, b map[K]bool) map[K]bool {
	out := make(map[K]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
