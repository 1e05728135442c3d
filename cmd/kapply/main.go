// Command kapply applies Kubernetes manifests to a cluster: see `kapply --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	// The first SIGINT or SIGTERM cancels the run: requests in flight are
	// cancelled, nothing new starts, no prune runs, and the summary says
	// what was applied. A second one exits at once.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "%s: stopping after the requests in flight (again to exit at once)\n", sig)
		cancel()
		<-signals
		os.Exit(exitInterrupted)
	}()
	stopProfiles := startProfiles(os.Stderr)
	code := run(ctx, os.Args, streams{in: os.Stdin, out: os.Stdout, err: os.Stderr, errIsTerminal: stderrIsTerminal()})
	stopProfiles()
	cancel()
	os.Exit(code)
}

// streams are the process's standard files, passed down so that commands
// can be tested without touching os.*.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
	// errIsTerminal: err is a terminal, where progress may redraw in place.
	errIsTerminal bool
}

// run executes the command line and maps its outcome to an exit code.
func run(ctx context.Context, args []string, s streams) int {
	err := newApp(s).RunContext(ctx, defaultToApply(args))
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ee.code
	}
	fmt.Fprintf(s.err, "error: %v\n", err)
	switch {
	case errors.As(err, &ee):
		return ee.code
	case ctx.Err() != nil:
		return exitInterrupted
	default:
		// urfave/cli reports bad flags and unknown commands as plain errors.
		return exitUsage
	}
}

// defaultToApply makes `kapply -f dir/` mean `kapply apply -f dir/`, the
// form pipelines use: a command line that starts with flags and names no
// command gets the apply command.
func defaultToApply(args []string) []string {
	if len(args) < 2 || !strings.HasPrefix(args[1], "-") {
		return args
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "--help" || a == "-help":
			return args
		case a == "--":
			i = len(args)
		case strings.HasPrefix(a, "-"):
			if !strings.Contains(a, "=") && takesValue[strings.TrimLeft(a, "-")] {
				i++ // skip the flag's value
			}
		default:
			if commandNames[a] {
				return args
			}
			i = len(args)
		}
	}
	return append([]string{args[0], "apply"}, args[1:]...)
}

// takesValue lists the flags that may come before a command and take a
// separate value, so that defaultToApply does not mistake a value for a
// command.
var takesValue = map[string]bool{
	"f": true, "filename": true, "k": true, "kustomize": true, "n": true, "namespace": true, "kubeconfig": true,
	"context": true, "request-timeout": true, "o": true, "output": true, "v": true,
}

var commandNames = map[string]bool{"apply": true, "create": true, "delete": true, "diff": true, "wait": true, "status": true, "version": true, "help": true, "h": true}
