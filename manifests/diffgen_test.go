package manifests

import (
	"encoding/json"
	"strings"
)

// issueHeader is the H of issue 18's table.
const issueHeader = "apiVersion: v1\nkind: Thing\nmetadata:\n  name: t\n"

// diffSeeds are the inputs of issue 18's table and a few more of the shapes
// where YAML 1.1 and 1.2, or kubectl's reader and a YAML parser, part.
func diffSeeds() []string {
	h := issueHeader
	return []string{
		h + "a: |\n  x", h + "a: |+\n  x", h + "a: >\n  x", h + "a: |-\n  x",
		strings.ReplaceAll(h+"a: |\n  x", "\n", "\r\n"),
		h + "---\n\ufeffdata:\n  k: v\n",
		"---\n\ufeff# Source: x.yaml\n" + h,
		h + "a: ! 0644\nb: ! true\nc: ! ~\n",
		h + "a: 1152921504606846976.0\n", h + "a: -9223372036854775809\n",
		h + "a: [?x]\n", h + "a: [!x, -x]\n",
		strings.ReplaceAll(h, "\n", "\r") + "---\r" + strings.ReplaceAll(cm("b"), "\n", "\r"),
		h + "\u0085---\u0085" + cm("b"), h + "\u2028---\u2028" + cm("b"),
		h + "items:\n- {apiVersion: v1, kind: Other, metadata: {name: a}}",
		h + "items:\n", "apiVersion: v1\nkind: List\n",
		h + "spec:\n  q: 3\n  <<: {p: 1, q: 2}\n",
		h + "spec:\n  <<: {p: 1, q: 2}\n  q: 3\n",
		h + "on: 1\ny: 2\n1.10: 3\n",
		`{"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}}` + "\nkind: X\n",
		`{"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}, "d": "\ud83d\ude00"}` + "\n# c\n",
		`{"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}} {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "u"}}`,
		"--- !foo\n" + h, "--- {a: 1}\n", "%YAML 1.1\n---\n" + h, h + "a: \x7f\n", h + "a: \u0080\n",
		"apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n",
		h + "...\n" + cm("b"), h + "a: &x.y 1\n",
	}
}

// rnd reads choices from fuzz input; past its end every choice is 0.
type rnd struct {
	b []byte
	i int
}

func (r *rnd) n(k int) int {
	if k <= 1 || r.i >= len(r.b) {
		return 0
	}
	v := int(r.b[r.i])
	r.i++
	return v % k
}

func (r *rnd) pick(s []string) string { return s[r.n(len(s))] }

var (
	genKinds   = []string{"Thing", "ConfigMap", "List", "ThingList", "Other"}
	genScalars = []string{
		"x", "0644", "! 0644", "! true", "! ~", "!!str 1", "!!int '7'", "!x y", "1152921504606846976.0",
		"-9223372036854775809", "9223372036854775808", "1e3", "1.0", "-0", ".5", "1_000", "0x1F", "0o17",
		"0b101", "+12", "yes", "on", "n", "~", "null", "", "''", `"a\tb"`, "'it''s'", "2001-12-14",
		"[?x]", "[!x, -x]", "[a, b]", "{a: b}", "[]", "{}", "|\n  x", "|+\n  x\n", ">\n  a\n  b", "|-\n  x",
		"&a v", "*a", `"\u00e9"`, `"\ud83d\ude00"`, "\ufeffv", "a: b", "- a", "[a, ? b]", "{? a}", "[a:b]",
		"!!binary aGk=", "!!float 3", ".inf", "0.1e-7", "123456789012345678901234567890", "[!x]",
	}
	genKeys = []string{"a", "b", "data", "on", "y", "1.10", "'q'", "\"<<\"", "items", "kind", "\ufeffk", "? k"}
	genSeps = []string{"---\n", "--- # c\n", "---\r\n", "---#c\n", "--- x\n", "----\n", "...\n---\n", "\r---\r", "\n", "---   \n", "--- |\n  x\n"}
)

// generateStream turns fuzz input into a random YAML or JSON stream built
// from the pieces above.
func generateStream(seed []byte) []byte {
	r := &rnd{b: seed}
	var b strings.Builder
	if r.n(8) == 0 {
		b.WriteString("\ufeff")
	}
	docs := 1 + r.n(3)
	json := r.n(4) == 0
	for d := 0; d < docs; d++ {
		if d > 0 || r.n(3) == 0 {
			b.WriteString(r.pick(genSeps))
		}
		if r.n(6) == 0 {
			b.WriteString("\ufeff")
		}
		if json {
			b.WriteString(genJSON(r))
			b.WriteString(r.pick([]string{"\n", " ", "", "\n# c\n", "\nkind: X\n"}))
			continue
		}
		b.WriteString(genDoc(r))
	}
	s := b.String()
	switch r.n(6) {
	case 0:
		s = strings.ReplaceAll(s, "\n", "\r\n")
	case 1:
		s = strings.TrimRight(s, "\n")
	}
	if r.n(12) == 0 {
		return utf16Bytes(strings.TrimPrefix(s, "\ufeff"), r.n(2) == 0)
	}
	return []byte(s)
}

func genDoc(r *rnd) string {
	var b strings.Builder
	kind := r.pick(genKinds)
	b.WriteString("apiVersion: v1\nkind: " + kind + "\nmetadata:\n  name: n" + string(rune('a'+r.n(3))) + "\n")
	for range r.n(5) {
		switch r.n(6) {
		case 0:
			b.WriteString("spec:\n")
			if r.n(2) == 0 {
				b.WriteString("  <<: {p: 1, q: " + r.pick(genScalars) + "}\n  q: 3\n")
			} else {
				b.WriteString("  q: 3\n  <<: [{p: 1}, {q: 2}]\n")
			}
		case 1:
			b.WriteString("items:")
			switch r.n(3) {
			case 0:
				b.WriteString("\n- {apiVersion: v1, kind: Other, metadata: {name: i}}\n- {metadata: {name: j}}\n")
			case 1:
				b.WriteString(" []\n")
			default:
				b.WriteString("\n")
			}
		case 2:
			b.WriteString("m:\n  " + r.pick(genKeys) + ": " + r.pick(genScalars) + "\n")
		default:
			b.WriteString(r.pick(genKeys) + ": " + r.pick(genScalars) + "\n")
		}
	}
	return b.String()
}

func genJSON(r *rnd) string {
	obj := map[string]any{"apiVersion": "v1", "kind": r.pick(genKinds), "metadata": map[string]any{"name": "j" + string(rune('a'+r.n(3)))}}
	for range r.n(4) {
		obj[r.pick(genKeys)] = r.pick([]string{"\u00e9", "\U0001F600", "\x7f", "a\u2028b"})
	}
	if r.n(3) == 0 {
		obj["n"] = []any{1.5, 1e21, 12345678901234567890.0, 1}
	}
	out, _ := json.Marshal(obj)
	s := string(out)
	if r.n(3) == 0 {
		s = strings.ReplaceAll(s, `"\u2028`, `"\ud83d\ude00`)
	}
	return s
}
