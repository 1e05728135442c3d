package apply

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FieldConflictError is a server-side apply refused because other field
// managers own fields the manifest sets: --force-conflicts takes them over.
type FieldConflictError struct {
	// Owners maps each other field manager to the fields it owns that the
	// manifest sets, sorted.
	Owners map[string][]string
	Err    error
}

func (e *FieldConflictError) Error() string {
	managers := make([]string, 0, len(e.Owners))
	for m := range e.Owners {
		managers = append(managers, m)
	}
	sort.Strings(managers)
	parts := make([]string, len(managers))
	for i, m := range managers {
		parts[i] = fmt.Sprintf("%q owns %s", m, strings.Join(e.Owners[m], ", "))
	}
	return fmt.Sprintf("%v (field manager %s: apply with --force-conflicts to take these fields over, or leave them out of the manifest)", e.Err, strings.Join(parts, "; "))
}

// Unwrap returns the server's error.
func (e *FieldConflictError) Unwrap() error { return e.Err }

// PreconditionError is a write refused because the manifest carries a
// metadata.resourceVersion or metadata.uid that the live object no longer
// has, typically a manifest exported with `kubectl get -o yaml`.
// --force-conflicts cannot help: only removing the field does.
type PreconditionError struct {
	// Field is "resourceVersion" or "uid".
	Field string
	// Value is the manifest's.
	Value string
	Err   error
}

func (e *PreconditionError) Error() string {
	why := "the live object has changed since"
	if e.Field == "uid" {
		why = "the live object is another one (deleted and created again?) or does not exist"
	}
	return fmt.Sprintf("%v (the manifest sets metadata.%s %q, a precondition: %s; remove metadata.%s from the manifest)", e.Err, e.Field, e.Value, why, e.Field)
}

// Unwrap returns the server's error.
func (e *PreconditionError) Unwrap() error { return e.Err }

var conflictManager = regexp.MustCompile(`conflict with "([^"]*)"`)

// explainConflict tells a 409 of server-side apply apart (issue 12, H):
// fields owned by other managers (a *FieldConflictError, naming them and
// the hint to force) or a precondition from the manifest's own metadata (a
// *PreconditionError, naming the field; a uid that is not the live
// object's comes back as a 422 on metadata.uid). Other errors are returned
// as they are.
func explainConflict(err error, manifest *unstructured.Unstructured) error {
	uid, rv := string(manifest.GetUID()), manifest.GetResourceVersion()
	if apierrors.IsInvalid(err) && uid != "" && invalidField(err, "metadata.uid") {
		// Server-side apply refuses another object's uid as a change of an
		// immutable field, not as a failed precondition.
		return &PreconditionError{Field: "uid", Value: uid, Err: err}
	}
	if !apierrors.IsConflict(err) {
		return err
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Details != nil {
		owners := map[string][]string{}
		for _, c := range status.Status().Details.Causes {
			if c.Type != metav1.CauseTypeFieldManagerConflict {
				continue
			}
			manager := "(unknown)"
			if m := conflictManager.FindStringSubmatch(c.Message); m != nil {
				manager = m[1]
			}
			owners[manager] = append(owners[manager], c.Field)
		}
		if len(owners) > 0 {
			for _, fields := range owners {
				sort.Strings(fields)
			}
			return &FieldConflictError{Owners: owners, Err: err}
		}
	}
	switch {
	case uid != "" && strings.Contains(err.Error(), "UID"):
		return &PreconditionError{Field: "uid", Value: uid, Err: err}
	case rv != "":
		return &PreconditionError{Field: "resourceVersion", Value: rv, Err: err}
	case uid != "":
		return &PreconditionError{Field: "uid", Value: uid, Err: err}
	}
	return err
}

// invalidField reports whether a 422 names field among its causes.
func invalidField(err error, field string) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	for _, c := range status.Status().Details.Causes {
		if c.Field == field {
			return true
		}
	}
	return false
}

// serverSetMetadata lists the fields of metadata that the server sets and
// that a manifest should not carry: they come with `kubectl get -o yaml`.
// A resourceVersion or uid is a precondition that fails once the object
// changes; the others are ignored or refused. `creationTimestamp: null`,
// which generators write, is not one of them.
func serverSetMetadata(u *unstructured.Unstructured) []string {
	var fields []string
	if u.GetResourceVersion() != "" {
		fields = append(fields, "resourceVersion")
	}
	if u.GetUID() != "" {
		fields = append(fields, "uid")
	}
	if ts, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "creationTimestamp"); ok && ts != nil {
		fields = append(fields, "creationTimestamp")
	}
	if g, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "generation"); ok && g != nil {
		fields = append(fields, "generation")
	}
	if mf, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "managedFields"); ok && mf != nil {
		fields = append(fields, "managedFields")
	}
	return fields
}

// serverSetWarning is the warning for a manifest that carries metadata
// the server sets, naming its source, or "".
func serverSetWarning(item *Item) string {
	fields := serverSetMetadata(item.Object)
	if len(fields) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: the manifest carries metadata the server sets (%s), as `kubectl get -o yaml` exports it: "+
		"resourceVersion and uid make the write fail once the live object changes; remove these fields", item.Source, strings.Join(fields, ", "))
}
