package apply

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	"github.com/kapply-dev/kapply/apply/render"
)

// immutableMarkers are the words of the API server's validation messages
// for a field that may not change (apimachinery's FieldImmutableErrorMsg,
// Service clusterIPs, Pod spec, Secret `immutable`, ...).
var immutableMarkers = []string{
	"immutable",
	"may not change once set",
	"cannot be modified once set",
	"cannot be cleared once set",
	"may not change fields other than",
}

// immutableCauses returns the causes of an Invalid (422) answer that
// refuse a field because it cannot change, once per field.
func immutableCauses(err error) []metav1.StatusCause {
	var se apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &se) || se.Status().Details == nil {
		return nil
	}
	var causes []metav1.StatusCause
	seen := map[string]bool{}
	for _, c := range se.Status().Details.Causes {
		if strings.HasPrefix(c.Field, "metadata.") {
			// metadata.uid "immutable" is a manifest carrying another
			// object's uid (an export): a PreconditionError, never a
			// reason to delete and re-create the live object.
			continue
		}
		for _, m := range immutableMarkers {
			if strings.Contains(c.Message, m) && !seen[c.Field] {
				seen[c.Field] = true
				causes = append(causes, c)
				break
			}
		}
	}
	return causes
}

// immutableFields returns the fields that an Invalid (422) answer refuses
// because they cannot change, as the server names them.
func immutableFields(err error) []string {
	var fields []string
	for _, c := range immutableCauses(err) {
		fields = append(fields, c.Field)
	}
	return fields
}

// ImmutableChange is one field of the manifest whose change the server
// refuses.
type ImmutableChange struct {
	// Path is the field as the manifest writes it, list items by key
	// (`spec.containers[name=app].env[name=X].value`), or the server's
	// field when no change of the manifest could be matched to it.
	Path string
	// ServerField is the server's name for the field, when it differs:
	// `spec.clusterIPs[0]` for `spec.clusterIP`, `spec` for a Pod's env
	// value.
	ServerField string
	// Old and New are the values as compact JSON, masked as diff masks
	// them (Secret data never shows); "" when the field is not set on
	// that side or the value is not known.
	Old, New string
}

// ImmutableError says that apply would be (diff) or was (apply) refused
// because fields that cannot change would change. Err is the server's
// answer.
type ImmutableError struct {
	// Fields are the fields as the server names them.
	Fields []string
	// Changes are the changes of the manifest behind them.
	Changes []ImmutableChange
	// Message is the server's own words, on one line, field by field.
	Message string
	// Refused: a write was refused, rather than a dry run predicting so.
	Refused bool
	Err     error
}

// Paths returns the fields the manifest changes, as it writes them.
func (e *ImmutableError) Paths() []string {
	out := make([]string, 0, len(e.Changes))
	for _, c := range e.Changes {
		out = append(out, c.Path)
	}
	return out
}

func (e *ImmutableError) Error() string {
	var b strings.Builder
	if e.Refused {
		b.WriteString("the server refused the change: ")
	} else {
		b.WriteString("immutable field(s) would change: ")
	}
	for i, c := range e.Changes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Path)
		if c.Old != "" || c.New != "" {
			fmt.Fprintf(&b, " %s -> %s", orUnset(c.Old), orUnset(c.New))
		}
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " (server: %s)", e.Message)
	}
	if e.Refused {
		fmt.Fprintf(&b, " (%s)", replaceHint)
	} else {
		fmt.Fprintf(&b, ": apply would be refused (%s)", replaceHint)
	}
	return b.String()
}

func orUnset(v string) string {
	if v == "" {
		return "(unset)"
	}
	return v
}

// Unwrap returns the server's error.
func (e *ImmutableError) Unwrap() error { return e.Err }

// serverAliases map a field the server validates to the field a manifest
// writes, per kind, where the server derives one from the other: it copies
// a Service's spec.clusterIP into spec.clusterIPs[0] and refuses the
// latter.
var serverAliases = map[schema.GroupKind]map[string]string{
	{Kind: "Service"}: {"spec.clusterIPs[0]": "spec.clusterIP"},
}

// immutableError explains a write refused for immutable fields: the
// manifest is merged over the live object (nil: not known) as the server
// merges it, the two compared, and each change put under the server's
// field it falls in. Values are masked as in a diff. Nil when err is not
// about immutable fields.
func (a *Applier) immutableError(ctx context.Context, item *Item, live *unstructured.Unstructured, manager string, err error, refused bool) *ImmutableError {
	causes := immutableCauses(err)
	if len(causes) == 0 {
		return nil
	}
	gk := item.Resolved.Ref.GroupKind()
	ie := &ImmutableError{Refused: refused, Err: err}
	var changes []render.Change
	if live != nil {
		intended := a.intended(ctx, gk, live, item.Object, manager)
		from, to := render.Diffable(live), render.Diffable(intended)
		render.Mask(gk, from, to)
		changes = render.Changes(a.schemas().schemaOf(ctx, live), from, to)
	}
	var msgs []string
	seen := map[string]bool{}
	for _, cause := range causes {
		ie.Fields = append(ie.Fields, cause.Field)
		msgs = append(msgs, cause.Field+": "+serverMessage(cause.Message))
		alias := serverAliases[gk][cause.Field]
		matched := false
		for _, c := range changes {
			if !within(c.Positional, cause.Field) && !within(cause.Field, c.Positional) && c.Positional != alias {
				continue
			}
			matched = true
			if seen[c.Path] {
				continue
			}
			seen[c.Path] = true
			ic := ImmutableChange{Path: c.Path}
			if c.Positional != cause.Field {
				ic.ServerField = cause.Field
			}
			if !c.Order {
				ic.Old, ic.New = shortJSON(c.Old, c.InOld), shortJSON(c.New, c.InNew)
			}
			ie.Changes = append(ie.Changes, ic)
		}
		if !matched && !seen[cause.Field] {
			seen[cause.Field] = true
			ie.Changes = append(ie.Changes, ImmutableChange{Path: cause.Field})
		}
	}
	ie.Message = strings.Join(msgs, "; ")
	return ie
}

// intended returns the live object with the manifest merged over it as
// server-side apply merges it (structured-merge-diff with the server's
// types: list items by key; fields manager applied before, that the
// manifest drops and no other manager holds, removed), or, when the types
// are not to be had, with maps merged and anything else replaced. A
// Secret's stringData goes into its data, as the server stores it.
func (a *Applier) intended(ctx context.Context, gk schema.GroupKind, live, manifest *unstructured.Unstructured, manager string) *unstructured.Unstructured {
	m := manifest.DeepCopy()
	if gk == (schema.GroupKind{Kind: "Secret"}) {
		foldStringData(m.Object)
	}
	if tl, err := a.schemas().typed(ctx, live); err == nil {
		if tm, err := a.schemas().typed(ctx, m); err == nil {
			if merged, err := tl.Merge(tm); err == nil {
				if dropped := droppedFields(live, manager, tm); dropped != nil {
					merged = merged.RemoveItems(dropped)
				}
				if obj, ok := merged.AsValue().Unstructured().(map[string]any); ok {
					return &unstructured.Unstructured{Object: obj}
				}
			}
		}
	}
	out := live.DeepCopy()
	mergeOver(out.Object, m.Object)
	return out
}

// droppedFields returns the fields manager's last apply set on live that
// the manifest tm no longer sets and no other manager holds: those the
// server removes. Nil when they cannot be told.
func droppedFields(live *unstructured.Unstructured, manager string, tm *typed.TypedValue) *fieldpath.Set {
	entry, ok := applyEntry(live.GetManagedFields(), manager)
	if !ok || entry.FieldsV1 == nil || entry.APIVersion != live.GetAPIVersion() {
		return nil
	}
	owned := &fieldpath.Set{}
	if owned.FromJSON(bytes.NewReader(entry.FieldsV1.GetRawBytes())) != nil {
		return nil
	}
	kept, err := tm.ToFieldSet()
	if err != nil {
		return nil
	}
	for _, e := range live.GetManagedFields() {
		if (e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "") || e.FieldsV1 == nil {
			continue
		}
		other := &fieldpath.Set{}
		if other.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())) == nil {
			kept = kept.Union(other)
		}
	}
	return owned.Difference(kept)
}

// foldStringData moves a Secret's stringData into its data, encoded.
func foldStringData(obj map[string]any) {
	sd, ok := obj["stringData"].(map[string]any)
	if !ok {
		return
	}
	data, _ := obj["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		if s, ok := v.(string); ok {
			data[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
	}
	obj["data"] = data
	delete(obj, "stringData")
}

// within reports whether path is field or lies under it.
func within(path, field string) bool {
	if !strings.HasPrefix(path, field) {
		return false
	}
	rest := path[len(field):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// maxValueLen bounds a value in an immutable-field report.
const maxValueLen = 80

// shortJSON is v as compact JSON, cut to maxValueLen; "" when it is not
// set.
func shortJSON(v any, set bool) string {
	if !set {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return cut(string(b), maxValueLen)
}

// cut shortens s to n runes, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// serverMessage is a cause's message on one line: the first line (a
// Pod's refusal goes on with a diff of Go structs), and a long invalid
// value (a Job's whole pod template, as Go prints it) left out.
func serverMessage(msg string) string {
	msg, _, _ = strings.Cut(strings.TrimSpace(msg), "\n")
	const invalid = "Invalid value: "
	if rest, ok := strings.CutPrefix(msg, invalid); ok {
		if i := strings.LastIndex(rest, ": "); i >= 0 && utf8.RuneCountInString(rest[:i]) > maxValueLen {
			msg = invalid + "…" + rest[i:]
		}
	}
	return msg
}
