package manifests

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// thing is the object of issue 18's H, with extra fields.
func thing(name string, kv ...any) map[string]any {
	m := map[string]any{"apiVersion": "v1", "kind": "Thing", "metadata": map[string]any{"name": name}}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// TestSameObjectsAsKubectl holds the rows of issue 18's table (and the
// inputs its text names) where kapply now gives kubectl's objects: each
// input is decoded by kapply and by kubectl's path, and both must give want.
func TestSameObjectsAsKubectl(t *testing.T) {
	h := issueHeader
	tests := []struct {
		name  string
		input string
		want  []map[string]any
	}{
		{"row 1: literal block at the end of a file without a final newline", h + "a: |\n  x", []map[string]any{thing("t", "a", "x\n")}},
		{"row 1: keep chomping", h + "a: |+\n  x", []map[string]any{thing("t", "a", "x\n")}},
		{"row 1: folded block", h + "a: >\n  x", []map[string]any{thing("t", "a", "x\n")}},
		{"row 1: CRLF file", strings.ReplaceAll(h+"a: |\n  x", "\n", "\r\n"), []map[string]any{thing("t", "a", "x\n")}},
		{"row 1: strip chomping agrees", h + "a: |-\n  x", []map[string]any{thing("t", "a", "x")}},
		{"row 2: BOM at the start of a later document", h + "---\n\ufeff" + strings.Replace(h, "t\n", "u\n", 1) + "data:\n  k: v\n",
			[]map[string]any{thing("t"), thing("u", "data", map[string]any{"k": "v"})}},
		{"row 2b: BOM and a comment at the start of a later document (cat of editor-saved files)", h + "---\n\ufeff# Source: x.yaml\n" + strings.Replace(h, "t\n", "u\n", 1),
			[]map[string]any{thing("t"), thing("u")}},
		{"row 3: non-specific tag makes a string", h + "a: ! 0644\nb: ! true\nc: ! ~\n", []map[string]any{thing("t", "a", "0644", "b", "true", "c", "~")}},
		{"row 4: whole float above 2^53, as JSON writes it", h + "a: 1152921504606846976.0\n", []map[string]any{thing("t", "a", int64(1152921504606847000))}},
		{"row 4: integer below int64", h + "a: -9223372036854775809\n", []map[string]any{thing("t", "a", -9.223372036854776e18)}},
		{"row 8: merge key before the explicit key: both keep the explicit value", h + "spec:\n  <<: {p: 1, q: 2}\n  q: 3\n",
			[]map[string]any{thing("t", "spec", map[string]any{"p": int64(1), "q": int64(3)})}},
		{"JSON document followed by YAML without ---", `{"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}}` + "\nkind: Thing\napiVersion: v1\nmetadata: {name: u}\n",
			[]map[string]any{thing("t"), thing("u")}},
		{"JSON with surrogate-pair escapes followed by a comment", `{"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}, "d": "\ud83d\ude00"}` + "\n# c\n",
			[]map[string]any{thing("t", "d", "\U0001F600")}},
		{"typed List members take the List's kind", "apiVersion: v1\nkind: ThingList\nitems:\n- metadata: {name: t}\n", []map[string]any{thing("t")}},
		{"items null on a List: no objects", "apiVersion: v1\nkind: ThingList\nitems:\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := kubectlDecode([]byte(tc.input))
			if err != nil {
				t.Fatalf("kubectl's path: %v", err)
			}
			if diff := cmp.Diff(tc.want, k); diff != "" {
				t.Errorf("kubectl's objects are not the ones this test expects (-want +kubectl):\n%s", diff)
			}
			objs, err := Decode("f.yaml", []byte(tc.input))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var got []map[string]any
			for _, o := range objs {
				got = append(got, o.Obj.Object)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects (-want +kapply):\n%s", diff)
			}
		})
	}
}

// TestRefusedWhereKubectlIsATrap holds the rows of issue 18's table where
// kubectl's result is itself a trap, and the inputs kubectl refuses: kapply
// refuses them, saying where and why.
func TestRefusedWhereKubectlIsATrap(t *testing.T) {
	h := issueHeader
	tests := []struct {
		name  string
		input string
		why   refusal // "" for inputs kubectl refuses too
		want  string
	}{
		{"row 5: ? in a flow sequence", h + "a: [?x]\n", refusedScan11, `f.yaml#1:5:5: a plain value holding "?" inside [ ] or { }: kubectl (YAML 1.1) ends the value there and reads "?" as a mapping key; quote the value`},
		{"row 5: ? inside a plain value in a flow sequence", h + "a: [what?]\n", refusedScan11, `f.yaml#1:5:5: a plain value holding "?" inside [ ] or { }: kubectl (YAML 1.1) ends the value there and reads "?" as a mapping key; quote the value`},
		{"row 5: a tag followed by a comma", h + "a: [!x, -x]\n", refusedScan11, `f.yaml#1:5:5: a tag followed directly by ',': kubectl (YAML 1.1) reads the ',' as part of the tag; put a space after the tag`},
		{"row 6: lone CR line breaks around ---", strings.ReplaceAll(h+"---\n"+cm("b"), "\n", "\r"), refusedDroppedDocument, `f.yaml#1:5:1: this "---" follows a CR, NEL, LS or PS line break, not a line feed: kubectl would not start a document here and would silently drop everything up to the next "---" line; use LF line breaks`},
		{"row 6: NEL", h + "a: 1\u0085---\u0085" + cm("b"), refusedDroppedDocument, `f.yaml#1:6:1: this "---" follows a CR, NEL, LS or PS line break, not a line feed: kubectl would not start a document here and would silently drop everything up to the next "---" line; use LF line breaks`},
		{"row 6: LS", h + "a: 1\u2028---\u2028" + cm("b"), refusedDroppedDocument, `f.yaml#1:6:1: this "---" follows a CR, NEL, LS or PS line break, not a line feed: kubectl would not start a document here and would silently drop everything up to the next "---" line; use LF line breaks`},
		{"row 7: items on a kind not named List", h + "items:\n- {apiVersion: v1, kind: Other, metadata: {name: a}}", refusedListShape, "f.yaml#1:5:1: a top-level items field on kind Thing: kubectl takes any document with items for a List and would apply its items instead of this object (nothing at all when items is null); only a kind named ...List may have top-level items"},
		{"row 7: items null on a kind not named List", h + "items:\n", refusedListShape, "f.yaml#1:5:1: a top-level items field on kind Thing: kubectl takes any document with items for a List and would apply its items instead of this object (nothing at all when items is null); only a kind named ...List may have top-level items"},
		{"row 7: kind List without items", "apiVersion: v1\nkind: List\n", refusedListShape, `f.yaml#1:2:1: a List needs items: kubectl would send this as an object of kind List, which no API server serves; write "items: []" for an empty List`},
		{"row 8: merge key after an explicit key it overrides", h + "spec:\n  q: 3\n  <<: {p: 1, q: 2}\n", refusedMergeOverride, `f.yaml#1:7:3: merge key << comes after the key "q" (line 6) and sets it too: YAML keeps the explicit value, kubectl would take the merged one; put "<<" first in the mapping to keep the explicit value`},
		{"row 8: through an alias and a list of mappings", "x: &d {image: a}\n" + h + "spec:\n  image: b\n  <<: [{p: 1}, *d]\n", refusedMergeOverride, `f.yaml#1:8:3: merge key << comes after the key "image" (line 7) and sets it too: YAML keeps the explicit value, kubectl would take the merged one; put "<<" first in the mapping to keep the explicit value`},
		{"a comment right after a quoted value", h + "a: \"x\"#c\n", refusedScan11, `f.yaml#1:5:7: a "#" right after a value: kubectl (YAML 1.1) reads it as the start of a comment, YAML 1.2 refuses it; put a space before "#"`},
		{"UTF-16 file with two documents", string(utf16Bytes(h+"---\n"+cm("b"), false)), refusedDroppedDocument, "f.yaml#1:5:1: a second document in a UTF-16 file: kubectl would read only the first and silently drop the rest; convert the file to UTF-8"},
		{"BOM at the start of the first document after a leading ---", "---\n\ufeff# Source: x.yaml\n" + h, refusedUnsafe, "f.yaml#1:2:1: a key starts with a byte order mark (U+FEFF): kubectl would send a field with it in its name; remove the mark"},
		{"text after --- on a separator line", "--- !foo\n" + h, "", `f.yaml#1:1:4: text after "---" on a separator line: kubectl refuses it (only a comment may follow "---"); put it on the next line`},
		{"flow mapping on a separator line", "--- {a: 1}\n", "", `f.yaml#1:1:4: text after "---" on a separator line: kubectl refuses it (only a comment may follow "---"); put it on the next line`},
		{"%YAML directive", "%YAML 1.1\n---\n" + h, "", "f.yaml#1:1:1: a %YAML or %TAG directive is not supported: kubectl reads it as a document of its own and fails; remove the line"},
		{"raw DEL", h + "a: \x7f\n", refusedUnsafe, "f.yaml#1:5:4: control character U+007F is not allowed in YAML; write it as an escape in a double-quoted string"},
		{"raw C1 control", h + "a: \u0080\n", refusedUnsafe, "f.yaml#1:5:4: control character U+0080 is not allowed in YAML; write it as an escape in a double-quoted string"},
		{"tab on a blank line", h + "\t\na: 1\n", "", `f.yaml#1:5:1: a tab in indentation (or after "- "): kubectl refuses it, YAML indents with spaces; replace it with spaces`},
		{"tab after a sequence indicator", h + "a:\n- \tb\n", "", `f.yaml#1:6:3: a tab in indentation (or after "- "): kubectl refuses it, YAML indents with spaces; replace it with spaces`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Decode("f.yaml", []byte(tc.input))
			if err == nil {
				t.Fatalf("Decode gave %d objects and no error, want %s", len(objs), tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tc.why != "" && !errors.Is(err, tc.why) {
				t.Errorf("error is not a refusal of kind %q", tc.why)
			}
			if tc.why == "" {
				if _, kerr := kubectlDecode([]byte(tc.input)); kerr == nil {
					t.Errorf("kubectl's path accepts this input, so refusing it must be a documented refusal")
				}
			}
		})
	}
}

// TestKeySpelling: plain keys are kept as written, where kubectl resolves
// them like values ("on" becomes "true"), the one documented difference in
// objects kapply sends.
func TestKeySpelling(t *testing.T) {
	in := issueHeader + "data:\n  on: a\n  y: b\n  1.10: c\n  '<<': d\n"
	objs, err := Decode("f.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := thing("t", "data", map[string]any{"on": "a", "y": "b", "1.10": "c", "<<": "d"})
	if diff := cmp.Diff(want, objs[0].Obj.Object); diff != "" {
		t.Errorf("kapply (-want +got):\n%s", diff)
	}
	k, err := kubectlDecode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	kwant := thing("t", "data", map[string]any{"true": "b", "1.1": "c", "<<": "d"}) // "on" and "y" collide; the last wins
	if diff := cmp.Diff(kwant, k[0]); diff != "" {
		t.Errorf("kubectl (-want +got):\n%s", diff)
	}
}
