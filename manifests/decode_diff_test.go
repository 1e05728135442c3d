package manifests

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// documentedRefusals are the kinds of input kapply refuses although kubectl
// reads them (README, "Differences from kubectl's decoder"). A refusal of
// any other kind, or any other difference, fails the differential tests.
var documentedRefusals = []refusal{
	refusedDuplicateKey, refusedMergeOverride, refusedDroppedDocument, refusedListShape,
	refusedNestedList, refusedScan11, refusedGenerateName, refusedKustomization,
	refusedDuplicateObject, refusedUnsafe,
}

// diffKubectl decodes data with kapply (keys spelled as kubectl spells them,
// the one deliberate difference in objects) and with kubectl's path, and
// returns the difference that is not a documented refusal, or nil.
func diffKubectl(data []byte) error {
	want, kerr := kubectlDecode(data)
	ds, err := decodeWith("fuzz.yaml", data, decodeOptions{kubectlKeys: true})
	utf16 := hasPrefix(data, bomUTF16LE) || hasPrefix(data, bomUTF16BE)
	switch {
	case err == nil && kerr != nil && utf16 && strings.Contains(kerr.Error(), "incomplete UTF-16 character"):
		// kubectl's line reader adds a 0x0A byte to a last line without
		// one, leaving an odd number of bytes: kubectl cannot read most
		// UTF-16 files; kapply reads them (README).
		return nil
	case err == nil && kerr != nil:
		return fmt.Errorf("kapply decodes %d objects where kubectl fails: %v", len(ds), kerr)
	case err != nil && kerr == nil && len(want) == 0 && onlySyntaxErrors(err):
		// kubectl's parser reads an empty first document and stops before
		// the text kapply's parser fails on, silently applying nothing.
		return nil
	case err != nil && kerr == nil:
		for _, o := range want {
			if why := failsLater(o); why != "" {
				return nil // kubectl fails too, when it maps or sends this object
			}
		}
		for _, e := range flattenJoined(err) {
			if !isDocumentedRefusal(e) {
				return fmt.Errorf("kapply fails where kubectl decodes %d objects: %v", len(want), e)
			}
		}
		return nil
	case err != nil:
		return nil
	}
	got := make([]map[string]any, len(ds))
	for i, d := range ds {
		got[i] = d.Obj.Object
	}
	if len(want) == 0 && len(got) == 0 {
		return nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		return fmt.Errorf("objects differ (-kubectl +kapply):\n%s", diff)
	}
	return nil
}

func onlySyntaxErrors(err error) bool {
	for _, e := range flattenJoined(err) {
		if !strings.Contains(e.Error(), ": invalid YAML: ") {
			return false
		}
	}
	return true
}

func isDocumentedRefusal(err error) bool {
	for _, r := range documentedRefusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// failsLater says why kubectl, having decoded obj, would still fail on it
// (when it looks up its kind, or the API server refuses it), or "".
func failsLater(obj map[string]any) string {
	str := func(v any) (string, bool) {
		s, ok := v.(string)
		return s, ok && s != ""
	}
	if _, ok := str(obj["kind"]); !ok {
		return "no kind"
	}
	av, ok := str(obj["apiVersion"])
	if !ok {
		return "no apiVersion"
	}
	if _, err := schema.ParseGroupVersion(av); err != nil {
		return "bad apiVersion"
	}
	meta, ok := obj["metadata"].(map[string]any)
	if !ok {
		return "no metadata"
	}
	if _, ok := str(meta["name"]); !ok {
		return "no name"
	}
	if ns, set := meta["namespace"]; set && ns != nil {
		if _, ok := ns.(string); !ok {
			return "bad namespace"
		}
	}
	return ""
}

// FuzzDecodeKubectl is the differential fuzz target (issue 18): each input
// is decoded as it is (mutated YAML and JSON streams) and, read as the seed
// of a generator, turned into a random stream of the shapes where the two
// decoders were found to part; both are decoded by kapply and by kubectl's
// path, and any difference that is not a documented refusal fails. Seeds:
// the inputs, the decoder tests' inputs, the corpus, and
// testdata/fuzz/FuzzDecodeKubectl.
func FuzzDecodeKubectl(f *testing.F) {
	for _, s := range diffSeeds() {
		f.Add([]byte(s))
	}
	for _, s := range corpusSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := diffKubectl(data); err != nil {
			t.Errorf("input %q:\n%v", data, err)
		}
		gen := generateStream(data)
		if err := diffKubectl(gen); err != nil {
			t.Errorf("generated stream %q:\n%v", gen, err)
		}
	})
}

// corpusSeeds gives the documents of the real-world corpus, one seed each:
// a fuzz worker must finish an input within 10 seconds, too short for a
// whole 1 MB file under coverage instrumentation (TestCorpusSameAsKubectl
// compares the whole files). Documents over 64 KiB (the largest CRDs) are
// left out for the same reason.
func corpusSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*", "*.yaml"))
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatalf("corpus: %v", err)
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			if len(doc) <= 64<<10 {
				out = append(out, []byte(doc))
			}
		}
	}
	return out
}
