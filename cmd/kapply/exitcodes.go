package main

// Exit codes, in one place, and listed in --help. Pipelines branch on them.
const (
	exitOK          = 0   // everything succeeded
	exitFailed      = 1   // some object failed; the others were applied
	exitUsage       = 2   // invalid input or usage; nothing was written
	exitTimeout     = 3   // a wait timed out
	exitInterrupted = 130 // interrupted by SIGINT or SIGTERM
)

const exitCodesHelp = `EXIT CODES:
   0    success
   1    some object failed (the others were applied)
   2    invalid input or usage: nothing was written to the cluster
   3    a wait timed out
   130  interrupted (SIGINT or SIGTERM)
`

// exitError carries an exit code through urfave/cli to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}
