package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/dynamicx"
)

// Exit codes, in one place, and listed in --help. Pipelines branch on them.
const (
	exitOK          = 0   // everything succeeded
	exitFailed      = 1   // some object failed (the others were applied), or the server could not be reached
	exitUsage       = 2   // invalid input or usage; nothing was written
	exitTimeout     = 3   // a wait timed out
	exitDiffers     = 1   // diff: differences found (as kubectl diff)
	exitNotDiffable = 4   // diff: some objects could not be diffed
	exitInterrupted = 130 // interrupted by SIGINT or SIGTERM
)

const exitCodesHelp = `EXIT CODES:
   0    success
   1    some object failed (the others were applied), a prune was refused,
        or the API server could not be reached; diff: differences found;
        status: not every object is ready
   2    invalid input or usage (positional arguments included): nothing
        was written to the cluster
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

// engineExit maps an error that ended a command before it could report on
// every object: a server that cannot be reached is 1 (the input is fine,
// and pipelines retry 1), invalid input 2 (nothing was written), an
// interruption 130, anything else 1.
func engineExit(ctx context.Context, err error) error {
	var ue *dynamicx.UnreachableError
	var pe *apply.PlanError
	var ae *applyset.Error
	switch {
	case errors.As(err, &ue):
		return withCode(exitFailed, ue)
	case ctx.Err() != nil:
		return withCode(exitInterrupted, err)
	case errors.As(err, &pe) || errors.As(err, &ae):
		return withCode(exitUsage, err)
	}
	return withCode(exitFailed, err)
}

// unreachableRun returns why no object could be written when that is
// because the server could not be reached: every object failed or was
// skipped, and the failures are connection failures. One line says it
// then, rather than the same dial error once per object.
func unreachableRun(cfg *dynamicx.Config, results []apply.Result) *dynamicx.UnreachableError {
	var found *dynamicx.UnreachableError
	for _, r := range results {
		switch r.Action {
		case apply.Failed:
			ue := cfg.Unreachable(r.Err)
			if ue == nil {
				return nil
			}
			found = ue
		case apply.Skipped:
		default:
			return nil
		}
	}
	return found
}
