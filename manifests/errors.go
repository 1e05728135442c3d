package manifests

import "fmt"

// DecodeError is a problem with one document of an input. Its text is
// PATH#DOC:LINE:COL: MESSAGE, where LINE is counted from the start of the
// input, not of the document, so an editor can jump to it. The message never
// quotes a value from the document, which may be a Secret; it may name a key.
type DecodeError struct {
	// Source is the document (and List item) at fault; Source.Line is where
	// its content starts, or 0 when it could not be parsed.
	Source Source
	// Line and Col are the 1-based position of the problem in the input.
	Line int
	Col  int
	// Err says what is wrong.
	Err error
}

// Error formats the error as PATH#DOC:LINE:COL: MESSAGE.
func (e *DecodeError) Error() string {
	msg := e.Err.Error()
	if e.Source.Item > 0 {
		msg = fmt.Sprintf("List item %d: %s", e.Source.Item, msg)
	}
	return fmt.Sprintf("%s#%d:%d:%d: %s", e.Source.Path, e.Source.Doc, e.Line, e.Col, msg)
}

// Unwrap gives the cause, for errors.Is and errors.As.
func (e *DecodeError) Unwrap() error { return e.Err }

// ReadError is a problem with an input as a whole (it cannot be read, a
// directory holds no manifest, a link leads outside the directory, the input
// is too large). Its text is PATH: MESSAGE.
type ReadError struct {
	Path string
	Err  error
}

// Error formats the error as PATH: MESSAGE.
func (e *ReadError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap gives the cause, for errors.Is and errors.As (fs.ErrNotExist, for
// example).
func (e *ReadError) Unwrap() error { return e.Err }

// mark is a 1-based position in an input; the zero mark means "unknown".
type mark struct{ line, col int }

func (m mark) known() bool { return m.line > 0 }

// posError is a problem found while parsing one document, before it is known
// which object (or List item) it belongs to.
type posError struct {
	at  mark
	err error
}

func (e *posError) Error() string { return e.err.Error() }

func errorAt(at mark, format string, args ...any) *posError {
	return &posError{at: at, err: fmt.Errorf(format, args...)}
}
