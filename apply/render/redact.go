package render

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// minRedactLen is the shortest Secret value removed from server messages:
// shorter strings are too likely to match ordinary words of the message.
const minRedactLen = 4

// Redactor removes a Secret's values from text the server sent back
// (errors, warnings), in every form they may take there: as written,
// base64-encoded and decoded, and quoted as Go or JSON quote them. The
// server does echo values: server-side apply's type check prints the
// value at fault (`.stringData.k: expected string, got
// &value.valueUnstructured{Value:[]interface {}{"..."}}`, measured on
// Kubernetes 1.37), and such a message must not carry it further.
type Redactor struct {
	values []string
}

// NewRedactor collects the values of the objects' data and stringData,
// down to every string and number of a value that is not a string (the
// server refuses those, quoting them); it returns nil for anything but a
// Secret.
func NewRedactor(gk schema.GroupKind, objs ...*unstructured.Unstructured) *Redactor {
	if gk != secretGK {
		return nil
	}
	r := &Redactor{}
	seen := map[string]bool{}
	add := func(s string) {
		if len(s) >= minRedactLen && !seen[s] {
			seen[s] = true
			r.values = append(r.values, s)
		}
	}
	for _, u := range objs {
		if u == nil {
			continue
		}
		for _, field := range []string{"data", "stringData"} {
			v, _, _ := unstructured.NestedFieldNoCopy(u.Object, field)
			eachLeaf(v, func(s string) {
				add(s)
				add(strings.Trim(strconv.Quote(s), `"`))
				if j, err := json.Marshal(s); err == nil {
					add(strings.Trim(string(j), `"`))
				}
				add(base64.StdEncoding.EncodeToString([]byte(s)))
				if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
					add(string(dec))
				}
			})
		}
	}
	// Longest first, so that a value containing another goes whole.
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	return r
}

// eachLeaf calls f with every string and number in v, as text. Booleans
// and nulls are left out: "true" is not a secret, and removing it would
// garble the message.
func eachLeaf(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case int64, int32, int, float32, float64, json.Number:
		f(fmt.Sprint(v))
	case map[string]any:
		for _, e := range v {
			eachLeaf(e, f)
		}
	case []any:
		for _, e := range v {
			eachLeaf(e, f)
		}
	}
}

// Redact returns s with every value of the Secret replaced by MaskedValue.
// A nil Redactor (not a Secret) returns s as it is.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, MaskedValue)
	}
	return s
}

// Err returns err, or an error with the same chain whose message has the
// values removed when it held any.
func (r *Redactor) Err(err error) error {
	if r == nil || err == nil {
		return err
	}
	msg := err.Error()
	if red := r.Redact(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

// redactedError is an error about a Secret whose text had the Secret's
// values removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
