package manifests

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// cm is a ConfigMap document with the given name.
func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

// got is what a test compares of a decoded object: where it came from and
// its content.
type got struct {
	Source string
	Line   int
	Object map[string]any
}

func summarize(objs []Object) []got {
	var out []got
	for _, o := range objs {
		out = append(out, got{o.Source.String(), o.Source.Line, o.Obj.Object})
	}
	return out
}

// listItem indents a document as a member of items.
func listItem(doc string) string {
	return "- " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n  ") + "\n"
}

func cmObj(name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name}}
}

func withData(obj map[string]any, data map[string]any) map[string]any {
	obj["data"] = data
	return obj
}

func utf16Bytes(s string, bigEndian bool) []byte {
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		out = []byte{0xFE, 0xFF}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []got
	}{
		{
			name:  "single document",
			input: cm("a"),
			want:  []got{{"f.yaml#1", 1, cmObj("a")}},
		},
		{
			name:  "empty input",
			input: "",
		},
		{
			name:  "comments only",
			input: "# nothing here\n\n# at all\n",
		},
		{
			name: "empty, lone, comment-only and trailing documents keep the numbering",
			input: "# header comment, not a document\n---\n" + cm("a") + "---\n---\n# only a comment\n---\n\n---\n" + cm("b") +
				"--- # a comment on the marker\n" + cm("c") + "---\n",
			want: []got{{"f.yaml#1", 3, cmObj("a")}, {"f.yaml#5", 13, cmObj("b")}, {"f.yaml#6", 18, cmObj("c")}},
		},
		{
			name:  "content before the first marker is document 1",
			input: cm("a") + "---\n" + cm("b"),
			want:  []got{{"f.yaml#1", 1, cmObj("a")}, {"f.yaml#2", 6, cmObj("b")}},
		},
		{
			name:  "null document is skipped",
			input: "~\n---\nnull\n---\n" + cm("a"),
			want:  []got{{"f.yaml#3", 5, cmObj("a")}},
		},
		{
			name:  "document end marker",
			input: cm("a") + "...\n---\n" + cm("b") + "...\n",
			want:  []got{{"f.yaml#1", 1, cmObj("a")}, {"f.yaml#2", 7, cmObj("b")}},
		},
		{
			name:  "kind before apiVersion and a comment after apiVersion",
			input: "kind: ConfigMap\napiVersion: v1 # for k8s versions before 1.9.0 use apps/v1beta2\nmetadata:\n  name: a\n",
			want:  []got{{"f.yaml#1", 1, cmObj("a")}},
		},
		{
			name:  "line of the content, after leading comments",
			input: "---\n# about a\n\n" + cm("a"),
			want:  []got{{"f.yaml#1", 4, cmObj("a")}},
		},
		{
			name:  "CRLF line endings",
			input: strings.ReplaceAll(cm("a")+"---\n"+cm("b"), "\n", "\r\n"),
			want:  []got{{"f.yaml#1", 1, cmObj("a")}, {"f.yaml#2", 6, cmObj("b")}},
		},
		{
			name:  "UTF-8 byte order mark",
			input: "\xEF\xBB\xBF" + cm("a"),
			want:  []got{{"f.yaml#1", 1, cmObj("a")}},
		},
		{
			name:  "UTF-16 little endian with BOM",
			input: string(utf16Bytes("# c\n---\n"+cm("\u00e9t\u00e9-\U0001F600"), false)),
			want:  []got{{"f.yaml#1", 3, cmObj("\u00e9t\u00e9-\U0001F600")}},
		},
		{
			name:  "UTF-16 big endian with BOM",
			input: string(utf16Bytes(cm("a"), true)),
			want:  []got{{"f.yaml#1", 1, cmObj("a")}},
		},
		{
			name:  "scalars resolve as kubectl resolves them (YAML 1.1)",
			input: cm("a") + "data:\n  yes: yes\n  off: off\n  y: n\n  mode: 0644\n  hex: 0x1F\n  float: 1.0\n  frac: 1.5\n  exp: 1e3\n  big: 12345678901234567890\n  under: 1_000\n  date: 2001-12-14\n  str: '0644'\n  nothing: ~\n  text: hello\n",
			want: []got{{"f.yaml#1", 1, withData(cmObj("a"), map[string]any{
				"yes": true, "off": false, "y": false, "mode": int64(420), "hex": int64(31), "float": int64(1), "frac": 1.5,
				"exp": int64(1000), "big": 1.2345678901234567e19, "under": int64(1000), "date": "2001-12-14", "str": "0644",
				"nothing": nil, "text": "hello",
			})}},
		},
		{
			name:  "tagged scalars",
			input: cm("a") + "data:\n  s: !!str 12\n  f: !!float 3\n  i: !!int '7'\n  b: !!binary aGk=\n  app: !Ref thing\n  !!int 010: eight\n",
			want: []got{{"f.yaml#1", 1, withData(cmObj("a"), map[string]any{
				"s": "12", "f": int64(3), "i": int64(7), "b": "hi", "app": "thing", "8": "eight",
			})}},
		},
		{
			name:  "anchors, aliases and merge keys",
			input: "x-base: &base {team: a, tier: web}\n" + cm("a") + "  labels:\n    <<: *base\n    tier: db\n  annotations:\n    <<: [{k: first}, {k: second, j: 2}]\n",
			want: []got{{"f.yaml#1", 1, map[string]any{
				"x-base":     map[string]any{"team": "a", "tier": "web"},
				"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{
					"name":        "a",
					"labels":      map[string]any{"team": "a", "tier": "db"},
					"annotations": map[string]any{"k": "first", "j": int64(2)},
				},
			}}},
		},
		{
			name:  "quoted << is an ordinary key",
			input: cm("a") + "data:\n  '<<': x\n",
			want:  []got{{"f.yaml#1", 1, withData(cmObj("a"), map[string]any{"<<": "x"})}},
		},
		{
			name:  "flow mapping starting with a brace is YAML, not JSON",
			input: "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
			want:  []got{{"f.yaml#1", 1, cmObj("a")}},
		},
		{
			name:  "JSON object",
			input: "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"ConfigMap\",\n\t\"metadata\": {\"name\": \"a\"},\n\t\"data\": {\"emoji\": \"\\ud83d\\ude00\", \"n\": 1.0, \"i\": 2}\n}\n",
			want: []got{{"f.yaml#1", 1, withData(cmObj("a"), map[string]any{
				"emoji": "\U0001F600", "n": 1.0, "i": int64(2),
			})}},
		},
		{
			name:  "JSON stream",
			input: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}` + "\n\n" + `null {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}`,
			want:  []got{{"f.yaml#1", 1, cmObj("a")}, {"f.yaml#3", 3, cmObj("b")}},
		},
		{
			name:  "List members keep document, item and line",
			input: cm("a") + "---\napiVersion: v1\nkind: List\nitems:\n" + listItem(cm("b")) + listItem(cm("c")),
			want:  []got{{"f.yaml#1", 1, cmObj("a")}, {"f.yaml#2[1]", 9, cmObj("b")}, {"f.yaml#2[2]", 13, cmObj("c")}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Decode("f.yaml", []byte(tc.input))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, summarize(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	big := cm("big") + "data:\n  x: " + strings.Repeat("a", MaxDocumentBytes) + "\n"
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{
			name:  "syntax error, line counted from the start of the file",
			input: cm("a") + "---\n" + cm("b") + "data:\n  k: [1, 2\n",
			want:  "f.yaml#2:12:1: invalid YAML: did not find expected ',' or ']'",
		},
		{
			name:  "bad indentation",
			input: cm("a") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n labels: {}\n",
			want:  "f.yaml#2:10:2: invalid YAML: did not find expected key",
		},
		{
			name:  "character that cannot start a token",
			input: cm("a") + "data:\n  k: @v\n",
			want:  "f.yaml#1:6:6: invalid YAML: found character that cannot start any token",
		},
		{
			name:  "tab indentation",
			input: cm("a") + "data:\n\tk: v\n",
			want:  "f.yaml#1:6:1: invalid YAML: found character that cannot start any token",
		},
		{
			name:  "unterminated quote",
			input: cm("a") + "data:\n  k: 'v\n",
			want:  "f.yaml#1:7:1: invalid YAML: found unexpected end of stream",
		},
		{
			name:  "unknown anchor",
			input: cm("a") + "data:\n  k: *nope\n",
			want:  "f.yaml#1:6:6: invalid YAML: unknown anchor 'nope' referenced",
		},
		{
			name:  "columns count characters, not bytes",
			input: cm("a") + "data:\n  \u00e9\u00e9: @\n",
			want:  "f.yaml#1:6:7: invalid YAML: found character that cannot start any token",
		},
		{
			name:  "duplicate key",
			input: cm("a") + "  namespace: x\n  name: b\n",
			want:  `f.yaml#1:6:3: duplicate key "name" (first at line 4)`,
		},
		{
			name:  "duplicate key after resolution",
			input: cm("a") + "data:\n  '1': a\n  \"1\": b\n",
			want:  `f.yaml#1:7:3: duplicate key "1" (first at line 6)`,
		},
		{
			name:  "duplicate merge key",
			input: cm("a") + "data:\n  <<: {a: 1}\n  <<: {b: 1}\n",
			want:  "f.yaml#1:7:3: duplicate merge key << (first at line 6)",
		},
		{
			name:  "duplicate key in JSON",
			input: "{\"apiVersion\": \"v1\",\n \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"a\"},\n \"kind\": \"Secret\"}",
			want:  `f.yaml#1:4:2: duplicate key "kind" (first at line 2)`,
		},
		{
			name:  "duplicate key in one-line JSON, column in characters",
			input: `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "é", "name": "b"}}`,
			want:  `f.yaml#1:1:69: duplicate key "name" (first at line 1)`,
		},
		{
			name:  "merge of a scalar",
			input: cm("a") + "data:\n  <<: 3\n",
			want:  "f.yaml#1:6:7: merge key << needs a mapping or a list of mappings",
		},
		{
			name:  "mapping as a key",
			input: cm("a") + "data:\n  ? {a: 1}\n  : x\n",
			want:  "f.yaml#1:6:5: a mapping key must be a scalar, not a mapping",
		},
		{
			name:  "null key",
			input: cm("a") + "data:\n  ~: x\n",
			want:  "f.yaml#1:6:3: a mapping key must not be null",
		},
		{
			name:  "infinity",
			input: cm("a") + "data:\n  k: .inf\n",
			want:  "f.yaml#1:6:6: NaN and infinite numbers cannot be sent to Kubernetes (JSON has no form for them)",
		},
		{
			name:  "value that does not match its tag",
			input: cm("a") + "data:\n  k: !!int abc\n",
			want:  "f.yaml#1:6:6: value does not match its tag !!int",
		},
		{
			name:  "alias inside what it refers to",
			input: cm("a") + "data: &d\n  k: *d\n",
			want:  "f.yaml#1:6:6: alias *d is inside the node it refers to",
		},
		{
			name:  "sequence document",
			input: cm("a") + "---\n- a\n- b\n",
			want:  "f.yaml#2:6:1: a document must be a mapping with apiVersion, kind and metadata, not a sequence",
		},
		{
			name:  "scalar document",
			input: "just text\n",
			want:  "f.yaml#1:1:1: a document must be a mapping with apiVersion, kind and metadata, not a string",
		},
		{
			name:  "JSON array document",
			input: "[1, 2]",
			want:  "f.yaml#1:1:1: a document must be a mapping with apiVersion, kind and metadata, not a sequence",
		},
		{
			name:  "second document without a marker",
			input: cm("a") + "...\nkind: Secret\n",
			want:  `f.yaml#1:6:1: more YAML follows the end of the document without a "---" line: kubectl would silently drop it; put a "---" line before it`,
		},
		{
			name:  "NUL byte",
			input: cm("a") + "---\n" + cm("b") + "data:\n  k: a\x00b\n",
			want:  "f.yaml#2:11:7: not a text file (NUL byte)",
		},
		{
			name:  "binary file",
			input: "\x89PNG\r\n\x1a\n\x00\x00",
			want:  "f.yaml#1:1:1: not a text file (invalid UTF-8)",
		},
		{
			name:  "invalid UTF-8",
			input: cm("a") + "data:\n  k: caf\xe9\n",
			want:  "f.yaml#1:6:9: not a text file (invalid UTF-8)",
		},
		{
			name:  "UTF-16 without BOM",
			input: "a\x00p\x00i\x00",
			want:  "f.yaml#1:1:2: not a text file (NUL byte)",
		},
		{
			name:  "UTF-16 with an odd byte count",
			input: string(utf16Bytes("ab\ncd", false)) + "x",
			want:  "f.yaml#1:2:3: not a text file (odd number of bytes in UTF-16)",
		},
		{
			name:  "UTF-16 with an unpaired surrogate",
			input: string(utf16Bytes("ab\nc", true)) + "\xD8\x00\x00a",
			want:  "f.yaml#1:2:2: not a text file (invalid UTF-16: unpaired surrogate)",
		},
		{
			name:  "UTF-32",
			input: "\xFF\xFE\x00\x00a\x00\x00\x00",
			want:  "f.yaml#1:1:1: not a text file (UTF-32 is not supported; convert it to UTF-8)",
		},
		{
			name:  "directive, which kubectl cuts from its document",
			input: "%YAML 1.1\n---\n" + cm("a"),
			want:  "f.yaml#1:1:1: a %YAML or %TAG directive is not supported: kubectl reads it as a document of its own and fails; remove the line",
		},
		{
			name:  "control character",
			input: cm("a") + "data:\n  k: \x1b[0m\n",
			want:  "f.yaml#1:6:6: control character U+001B is not allowed; write it as an escape in a double-quoted string",
		},
		{
			name:  "document over 3 MiB",
			input: cm("a") + "---\n" + big,
			want:  "f.yaml#2:6:1: document is 3145793 bytes, over the limit of 3145728 (3 MiB) for one Kubernetes API request",
		},
		{
			name:  "JSON document over 3 MiB",
			input: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"x":"` + strings.Repeat("a", MaxDocumentBytes) + `"}}`,
			want:  "f.yaml#1:1:1: document is 3145806 bytes, over the limit of 3145728 (3 MiB) for one Kubernetes API request",
		},
		{
			name:  "nesting too deep",
			input: cm("a") + "data: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n",
			want:  "f.yaml#1:5:10007: invalid YAML: exceeded max depth of 10000",
		},
		{
			name:  "errors are reported in input order",
			input: "kind: ConfigMap\n---\n" + cm("a") + "data: [\n",
			want: "f.yaml#1:1:1: apiVersion is required\n" +
				"f.yaml#1:1:1: metadata.name is required\n" +
				"f.yaml#2:8:1: invalid YAML: did not find expected node content",
		},
		{
			name:  "independent errors are all reported",
			input: cm("a") + "  name: a\n---\n" + cm("ok") + "---\nkind: Secret\n",
			want: `f.yaml#1:5:3: duplicate key "name" (first at line 4)` + "\n" +
				"f.yaml#3:12:1: apiVersion is required\n" +
				"f.yaml#3:12:1: metadata.name is required",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Decode("f.yaml", []byte(tc.input))
			if err == nil {
				t.Fatalf("Decode gave %d objects and no error, want %s", len(objs), tc.want)
			}
			if objs != nil {
				t.Errorf("Decode gave objects with an error: %v", objs)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorsDoNotQuoteValues feeds broken documents whose values hold a
// secret and checks that no error repeats it.
func TestErrorsDoNotQuoteValues(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	inputs := []string{
		"apiVersion: v1\nkind: Secret\nstringData:\n  password: " + secret + "\n  password: " + secret + "\n",
		"apiVersion: v1\nkind: Secret\nstringData:\n  password: '" + secret + "\n",
		"apiVersion: v1\nkind: Secret\nstringData:\n  password: " + secret + "\n    bad: indent\n",
		"apiVersion: v1\nkind: Secret\nstringData:\n  password: !!int " + secret + "\n",
		"apiVersion: v1\nkind: Secret\nstringData:\n  password: \"" + secret + "\\q\"\n",
		"apiVersion: v1\nkind: Secret\nmetadata: " + secret + "\n",
		"apiVersion: v1\nkind: Secret\nstringData: {password: " + secret + "}\n",
		`{"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "` + secret + `", "password": "x"}}`,
		secret + "\n",
		"- " + secret + "\n",
		"apiVersion: v1\nkind: List\nitems: [" + secret + "]\n",
		"apiVersion: v1\nkind: List\nitems: " + secret + "\n",
	}
	for i, in := range inputs {
		_, err := Decode("f.yaml", []byte(in))
		if err == nil {
			t.Errorf("input %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("input %d: error quotes the value: %v", i, err)
		}
	}
}
