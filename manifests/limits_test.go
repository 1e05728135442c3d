package manifests

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// billionLaughs is the classic alias bomb: 9 levels of 9 aliases, a billion
// strings once expanded, in under 1 KB.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n")
	b.WriteString(`  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for i := 1; i < 9; i++ {
		prev, cur := string(rune('a'+i-1)), string(rune('a'+i))
		b.WriteString("  " + cur + ": &" + cur + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ",") + "]\n")
	}
	return b.String()
}

func TestAliasBomb(t *testing.T) {
	input := []byte(billionLaughs())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Decode("bomb.yaml", input)
	runtime.ReadMemStats(&after)

	const want = "bomb.yaml#1:11:10: aliases expand to more than 100000 values, refused as a likely YAML alias bomb"
	if err == nil || err.Error() != want {
		t.Fatalf("got error %v\nwant %s", err, want)
	}
	// Allocation, not wall time, bounds the work: a clock in a test fails
	// on a loaded machine, and an expanded bomb allocates gigabytes.
	t.Logf("refused after allocating %d KB", (after.TotalAlloc-before.TotalAlloc)>>10)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MB, want under 64 MB", alloc>>20)
	}
}

// TestAliasesWithinLimits checks that ordinary use of aliases is unaffected.
func TestAliasesWithinLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-common: &common {team: a, tier: web, env: prod}\n")
	b.WriteString(cm("many") + "data:\n")
	objs, err := Decode("f.yaml", []byte(b.String()+"  nested: {a: *common, b: *common, c: [*common, *common]}\n"))
	if err != nil || len(objs) != 1 {
		t.Fatalf("got %d objects, error %v", len(objs), err)
	}
}

func TestDocumentSizeLimit(t *testing.T) {
	// Exactly at the limit is accepted.
	head := cm("edge") + "data:\n  x: "
	doc := head + strings.Repeat("a", MaxDocumentBytes-len(head)-1) + "\n"
	if len(doc) != MaxDocumentBytes {
		t.Fatalf("test document is %d bytes", len(doc))
	}
	if _, err := Decode("f.yaml", []byte(doc)); err != nil {
		t.Errorf("document of exactly %d bytes: %v", MaxDocumentBytes, err)
	}
	_, err := Decode("f.yaml", []byte(doc+"#"))
	const want = "f.yaml#1:1:1: document is 3145729 bytes, over the limit of 3145728 (3 MiB) for one Kubernetes API request"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestLongLines checks that decoding stays linear on inputs written on one
// line, such as minified JSON, where positions must be counted along the line.
func TestLongLines(t *testing.T) {
	tests := []struct {
		name  string
		input string
		n     int
	}{
		{"json", oneLineList(20000, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c%d"},"data":{"k":"v"}}`, `{"apiVersion":"v1","kind":"List","items":[`), 20000},
		// The YAML parser itself is slow on very long flow lines, so this
		// one is smaller: it checks the positions counted here.
		{"yaml", oneLineList(2000, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c%d}, data: {k: v}}`, `{apiVersion: v1, kind: List, items: [`), 2000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			objs, err := Decode("f", []byte(tc.input))
			runtime.ReadMemStats(&after)
			if err != nil || len(objs) != tc.n {
				t.Fatalf("got %d objects, error %v", len(objs), err)
			}
			if last := objs[len(objs)-1].Source; last.Line != 1 {
				t.Errorf("last item at line %d", last.Line)
			}
			// Copies that grow with the square of the line (a line
			// re-sliced for every item) show up as allocation far beyond
			// the input's size (linear today: about 70x for JSON, 400x for
			// YAML). Time is BenchmarkLongLine's to report: a clock in a
			// test fails on a loaded machine.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(tc.input))*1000 {
				t.Errorf("allocated %d MB for %d bytes on one line", alloc>>20, len(tc.input))
			} else {
				t.Logf("allocated %d KB for %d bytes", alloc>>10, len(tc.input))
			}
		})
	}
}

// oneLineList writes a List of n items on one line, as minified JSON is.
func oneLineList(n int, format, head string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, format, i)
	}
	b.WriteString("]}")
	return b.String()
}

// BenchmarkLongLine decodes one-line JSON Lists of two sizes: linear
// decoding shows the same time per item at both.
func BenchmarkLongLine(b *testing.B) {
	for _, n := range []int{5000, 20000} {
		input := []byte(oneLineList(n, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c%d"},"data":{"k":"v"}}`, `{"apiVersion":"v1","kind":"List","items":[`))
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			for b.Loop() {
				if _, err := Decode("f.json", input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
