package manifests

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A bundle large enough to be decoded on several goroutines comes out as
// one decoded on one: objects in input order with their file#doc:line,
// errors in document order.
func TestDecodeManyDocumentsKeepsInputOrder(t *testing.T) {
	const n = 400
	bad := map[int]bool{57: true, 58: true, 311: true}
	var b strings.Builder
	type want struct {
		name      string
		doc, line int
	}
	var goodNames, wantErrs []string
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString("---\n")
		}
		if bad[i] { // a tab in indentation
			fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: cm-%d\n", i)
			wantErrs = append(wantErrs, fmt.Sprintf("many.yaml#%d:", i))
		} else {
			fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  k: v\n", i)
			goodNames = append(goodNames, fmt.Sprintf("cm-%d", i))
		}
	}
	_, err := Decode("many.yaml", []byte(b.String()))
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	var gotErrs []string
	for _, e := range errs {
		var de *DecodeError
		if !errors.As(e, &de) {
			t.Fatalf("error %v is not a *DecodeError", e)
		}
		gotErrs = append(gotErrs, fmt.Sprintf("%s#%d:", de.Source.Path, de.Source.Doc))
	}
	if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}

	// Without the bad documents, every object in order.
	var good strings.Builder
	for i, doc := range strings.Split(b.String(), "---\n") {
		if !bad[i+1] {
			if good.Len() > 0 {
				good.WriteString("---\n")
			}
			good.WriteString(doc)
		}
	}
	objs, err := Decode("many.yaml", []byte(good.String()))
	if err != nil {
		t.Fatal(err)
	}
	var got []want
	for _, o := range objs {
		got = append(got, want{o.Obj.GetName(), o.Source.Doc, o.Source.Line})
	}
	var wantGood []want
	for k, name := range goodNames {
		wantGood = append(wantGood, want{name, k + 1, 1 + 7*k}) // six lines and a separator each
	}
	if diff := cmp.Diff(wantGood, got, cmp.AllowUnexported(want{})); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}
