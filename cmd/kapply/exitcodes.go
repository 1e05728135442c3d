package main

import "fmt"

// Exit codes, in one place, and listed in --help. Pipelines branch on them.
const (
	exitOK          = 0   // everything succeeded
	exitFailed      = 1   // some object failed; the others were applied
	exitUsage       = 2   // invalid input or usage; nothing was written
	exitTimeout     = 3   // a wait timed out
	exitDiffers     = 1   // diff: differences found (as kubectl diff)
	exitNotDiffable = 4   // diff: some objects could not be diffed
	exitInterrupted = 130 // interrupted by SIGINT or SIGTERM
)

const exitCodesHelp = `EXIT CODES:
   0    success
   1    some object failed (the others were applied), or a prune was refused;
        diff: differences found; status: not every object is ready
   2    invalid input or usage: nothing was written to the cluster
   3    a wait timed out
   4    diff: some objects could not be diffed (an immutable field would
        change, or the dry run failed)
   130  interrupted (SIGINT or SIGTERM)
`

// exitError carries an exit code through urfave/cli to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// exitSilently ends a command with a code that is the whole message, as
// diff's 1 for "differences found": run prints nothing for it.
func exitSilently(code int) error {
	return &exitError{code: code}
}

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}
