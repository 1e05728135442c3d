package manifests

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzErrorLine = regexp.MustCompile(`^fuzz\.yaml#[1-9][0-9]*:[1-9][0-9]*:[1-9][0-9]*: \S`)

// FuzzDecode checks that no input makes Decode panic, that every error has
// the PATH#DOC:LINE:COL form with a line inside the input, and that every
// object it returns is one Unstructured can hold and JSON can carry. The
// seeds (f.Add and testdata/fuzz/FuzzDecode) run with every go test.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		cm("a"),
		"# c\n---\n" + cm("a") + "---\n---\n# only\n---\n" + cm("b") + "---\n",
		"kind: ConfigMap\napiVersion: v1 # comment\nmetadata:\n  name: a\n",
		"apiVersion: v1\nkind: List\nitems:\n" + listItem(cm("a")) + "- apiVersion: v1\n  kind: List\n  items: []\n- 3\n",
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"e":"\ud83d\ude00"}} {"kind":"x"}`,
		"{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}",
		"x: &x {a: 1}\n" + cm("a") + "  labels: {<<: *x, b: 2}\n",
		cm("a") + "data: &d\n  k: *d\n",
		cm("a") + "  name: b\n",
		cm("a") + "data:\n  k: [1, 2\n",
		cm("a") + "data:\n  yes: on\n  mode: 0644\n  f: .inf\n",
		"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
		"apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: x-\n",
		cm("a") + "...\nkind: Secret\n",
		"\xEF\xBB\xBF" + cm("bom"),
		string(utf16Bytes(cm("utf16"), false)),
		string(utf16Bytes(cm("utf16"), true)) + "x",
		"a\x00b",
		"- a\n- b\n",
		billionLaughs(),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode("fuzz.yaml", data)
		if err != nil {
			checkFuzzError(t, data, objs, err)
			return
		}
		for _, o := range objs {
			s := o.Source
			if s.Path != "fuzz.yaml" || s.Doc < 1 || s.Line < 1 || s.Item < 0 {
				t.Errorf("bad Source %#v", s)
			}
			if o.Obj.GetAPIVersion() == "" || o.Obj.GetKind() == "" || o.Obj.GetName() == "" {
				t.Errorf("%s: object without apiVersion, kind or name passed validation", s)
			}
			_ = o.Obj.DeepCopy() // panics on a value Unstructured cannot hold
			if _, err := json.Marshal(o.Obj.Object); err != nil {
				t.Errorf("%s: object cannot be sent as JSON: %v", s, err)
			}
		}
	})
}

func checkFuzzError(t *testing.T, data []byte, objs []Object, err error) {
	t.Helper()
	if objs != nil {
		t.Errorf("objects returned with an error")
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !fuzzErrorLine.MatchString(line) {
			t.Errorf("error line not of the form PATH#DOC:LINE:COL: MESSAGE: %q", line)
		}
	}
	lines := -1 // how many lines the input has, when it is plain UTF-8
	if utf8.Valid(data) && !strings.HasPrefix(string(data), "\xEF\xBB\xBF") {
		lines = len(newLineIndex(data))
	}
	for _, e := range flattenJoined(err) {
		var de *DecodeError
		if !errors.As(e, &de) {
			t.Errorf("error %q is not a *DecodeError", e)
			continue
		}
		if lines > 0 && de.Line > lines {
			t.Errorf("error %q is at line %d of an input of %d lines", e, de.Line, lines)
		}
	}
}

// flattenJoined undoes errors.Join.
func flattenJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenJoined(e)...)
		}
		return out
	}
	return []error{err}
}
