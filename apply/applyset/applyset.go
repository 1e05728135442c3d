package applyset

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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kapply-dev/kapply/dynamicx"
)

// Labels and annotations of the ApplySet specification (KEP-3659), as
// kubectl's --applyset writes them, so that any ApplySet-aware tool finds
// kapply's members and kapply finds theirs.
const (
	ToolingAnnotation    = "applyset.kubernetes.io/tooling"
	GKsAnnotation        = "applyset.kubernetes.io/contains-group-kinds"
	NamespacesAnnotation = "applyset.kubernetes.io/additional-namespaces"
	ParentIDLabel        = "applyset.kubernetes.io/id"
	PartOfLabel          = "applyset.kubernetes.io/part-of"
)

// KeepAnnotation on a member keeps it when it leaves the input: it is
// never pruned. cli-utils' `cli-utils.sigs.k8s.io/on-remove: keep` is
// honoured too.
const KeepAnnotation = "kapply.dev/prune"

// Options turn a run into one of an ApplySet.
type Options struct {
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

// ID is the ID of the set whose parent is name/namespace of kind
// and group: base64url(sha256(NAME.NAMESPACE.KIND.GROUP)), in the v1
// format `applyset-ID-v1`, exactly as kubectl computes it.
func ID(name, namespace, kind, group string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{name, namespace, kind, group}, ".")))
	return "applyset-" + base64.RawURLEncoding.EncodeToString(sum[:]) + "-v1"
}

// Set is the state of one ApplySet during a run.
type Set struct {
	Options Options
	// Mapping is the parent's resource.
	Mapping *meta.RESTMapping
	Parent  dynamicx.Ref
	// ID is the set's ID, the value of its members' part-of label.
	ID string
	// Exists is set once the parent is on the cluster.
	Exists bool
	// RecordedGKs and RecordedNSs are the group-kinds and namespaces the
	// parent recorded when the set was opened: where its members are.
	RecordedGKs map[schema.GroupKind]bool
	RecordedNSs map[string]bool
	// Warnings are told to the user: recorded kinds that are gone.
	Warnings []string
}

// Error is a problem with the ApplySet found before anything was
// written: a malformed parent, a parent of other tooling.
type Error struct{ Err error }

func (e *Error) Error() string { return "applyset: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Open resolves the parent and reads what it records. Namespaced parents
// live in the namespace of clients' configuration.
func Open(ctx context.Context, clients *dynamicx.Clients, opts Options) (*Set, error) {
	resource, name, hasType := strings.Cut(opts.Parent, "/")
	if !hasType {
		resource, name = "secrets", opts.Parent
	}
	if name == "" {
		return nil, &Error{fmt.Errorf("parent %q has no name: use [RESOURCE][.GROUP]/NAME", opts.Parent)}
	}
	gvk, err := clients.Mapper.KindFor(schema.ParseGroupResource(resource).WithVersion(""))
	if err != nil {
		return nil, &Error{fmt.Errorf("parent %q: %w", opts.Parent, err)}
	}
	mapping, err := clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, &Error{fmt.Errorf("parent %q: %w", opts.Parent, err)}
	}
	ns := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns = clients.Config.Namespace
	}
	s := &Set{
		Options:     opts,
		Mapping:     mapping,
		Parent:      dynamicx.Ref{Group: gvk.Group, Kind: gvk.Kind, Namespace: ns, Name: name},
		ID:          ID(name, ns, gvk.Kind, gvk.Group),
		RecordedGKs: map[schema.GroupKind]bool{},
		RecordedNSs: map[string]bool{},
	}
	live, err := clients.Metadata.Resource(mapping.Resource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return s, nil
	case err != nil:
		return nil, &Error{fmt.Errorf("read parent %s: %w", s.Parent, err)}
	}
	s.Exists = true
	tooling, ok := live.Annotations[ToolingAnnotation]
	if !ok {
		return nil, &Error{fmt.Errorf("parent %s exists and has no %s annotation: it is not an ApplySet parent", s.Parent, ToolingAnnotation)}
	}
	if base, _, _ := strings.Cut(tooling, "/"); base != toolName(opts.Tooling) && !opts.Takeover {
		return nil, &Error{fmt.Errorf("parent %s is managed by tooling %q instead of %q: use --applyset-takeover to adopt the set", s.Parent, base, toolName(opts.Tooling))}
	}
	if got := live.Labels[ParentIDLabel]; got != s.ID {
		return nil, &Error{fmt.Errorf("parent %s has label %s=%q, want %q", s.Parent, ParentIDLabel, got, s.ID)}
	}
	if err := s.readRecord(live.Annotations, clients.Mapper); err != nil {
		return nil, &Error{err}
	}
	return s, nil
}

func toolName(tooling string) string {
	name, _, _ := strings.Cut(tooling, "/")
	return name
}

// Label adds the set's part-of label to obj, which makes it a member.
func (s *Set) Label(obj *unstructured.Unstructured) {
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[PartOfLabel] = s.ID
	obj.SetLabels(labels)
}

// WriteParent records gks and nss on the parent with server-side apply,
// as field manager TOOL-applyset (kubectl's convention), creating it when
// it does not exist. Conflicts are forced: the parent's ApplySet fields
// belong to whoever manages the set. dryRun is the PATCH's dryRun.
func (s *Set) WriteParent(ctx context.Context, client dynamic.Interface, gks map[schema.GroupKind]bool, nss map[string]bool, dryRun []string) error {
	var gkList, nsList []string
	for gk := range gks {
		gkList = append(gkList, gk.String())
	}
	for n := range nss {
		if n != s.Parent.Namespace {
			nsList = append(nsList, n)
		}
	}
	sort.Strings(gkList)
	sort.Strings(nsList)
	body := map[string]any{
		"apiVersion": s.Mapping.GroupVersionKind.GroupVersion().String(),
		"kind":       s.Mapping.GroupVersionKind.Kind,
		"metadata": map[string]any{
			"name":   s.Parent.Name,
			"labels": map[string]string{ParentIDLabel: s.ID},
			"annotations": map[string]string{
				ToolingAnnotation:    s.Options.Tooling,
				GKsAnnotation:        strings.Join(gkList, ","),
				NamespacesAnnotation: strings.Join(nsList, ","),
			},
		},
	}
	if s.Parent.Namespace != "" {
		body["metadata"].(map[string]any)["namespace"] = s.Parent.Namespace
	}
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	force := true
	ri := client.Resource(s.Mapping.Resource).Namespace(s.Parent.Namespace)
	if _, err := ri.Patch(ctx, s.Parent.Name, types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: toolName(s.Options.Tooling) + "-applyset", Force: &force, DryRun: dryRun,
	}); err != nil {
		return fmt.Errorf("write ApplySet parent %s: %w", s.Parent, err)
	}
	s.Exists = true
	return nil
}

// CheckOwner refuses to write an object that another ApplySet owns,
// from its live labels, unless the set adopts such objects
// (Options.OverwriteOwnership). The error wraps ErrOtherSet.
func (s *Set) CheckOwner(labels map[string]string) error {
	if s.Options.OverwriteOwnership {
		return nil
	}
	if owner, ok := labels[PartOfLabel]; ok && owner != s.ID {
		return fmt.Errorf("%w: it is labelled %s=%s, not this set's %s; use --overwrite-ownership to adopt it", ErrOtherSet, PartOfLabel, owner, s.ID)
	}
	return nil
}

// ErrOtherSet is wrapped by the error of an object that belongs to
// another ApplySet.
var ErrOtherSet = errors.New("object belongs to another ApplySet")
