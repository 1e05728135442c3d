package manifests

import "fmt"

// refusal is a kind of input that kapply refuses although kubectl's decoder
// reads it, because what kubectl makes of it is a trap (an object other than
// the one written, a document silently dropped) or is unsafe to read. These
// are the documented differences from kubectl's decoder (README,
// "Differences from kubectl's decoder"); the differential fuzz test accepts
// a refusal of exactly these kinds and no other difference. Test with
// errors.Is(err, refusedXxx).
type refusal string

func (r refusal) Error() string { return string(r) }

const (
	// A key given twice in one mapping (kubectl keeps the last).
	refusedDuplicateKey refusal = "duplicate key"
	// A "<<" merge written after an explicit key it would replace: YAML says
	// the explicit key wins, kubectl lets the merge win (issue 18, row 8).
	refusedMergeOverride refusal = "merge key overriding an explicit key"
	// Two YAML documents where kubectl sees one and silently keeps the first:
	// after "...", or a "---" after a CR, NEL, LS or PS line break.
	refusedDroppedDocument refusal = "document kubectl would drop"
	// A top-level items field on a kind not named ...List, which kubectl
	// takes for a List (applying the items, or nothing), and kind List
	// without items, which kubectl sends as an object of kind List.
	refusedListShape refusal = "object kubectl would take for a List, or a List without items"
	// A List inside a List.
	refusedNestedList refusal = "List inside a List"
	// Text that YAML 1.1 (kubectl) and YAML 1.2 scan into different
	// tokens: "[?x]", "[!x, y]", tags holding , [ ] { or }, anchor names
	// beyond letters, digits, _ and -.
	refusedScan11 refusal = "text YAML 1.1 scans differently"
	// metadata.generateName: apply would create a new object on every run.
	refusedGenerateName refusal = "generateName"
	// A kustomization, which is input to kustomize, not an object.
	refusedKustomization refusal = "kustomization"
	// The same object twice in the input.
	refusedDuplicateObject refusal = "duplicate object"
	// Input that is not text (NUL, invalid UTF-8, UTF-32, control
	// characters), a document over 3 MiB, nesting over 10,000 levels, an
	// alias bomb.
	refusedUnsafe refusal = "unsafe input"
)

// refusedError is an error of a documented kind of refusal.
type refusedError struct {
	why refusal
	msg string
}

func (e *refusedError) Error() string { return e.msg }

// Is makes errors.Is(err, refusedXxx) true for an error of that kind.
func (e *refusedError) Is(target error) bool {
	r, ok := target.(refusal)
	return ok && r == e.why
}

func refuseAt(at mark, why refusal, format string, args ...any) *posError {
	return &posError{at: at, err: &refusedError{why: why, msg: fmt.Sprintf(format, args...)}}
}

func refused(why refusal, format string, args ...any) error {
	return &refusedError{why: why, msg: fmt.Sprintf(format, args...)}
}
