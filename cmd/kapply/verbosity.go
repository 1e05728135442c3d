package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/go-logr/logr"
	"github.com/urfave/cli/v2"
	"k8s.io/klog/v2"
)

// maxVerbosity is the highest -v passed on to client-go's log. From 8 up,
// client-go logs request and response bodies (k8s.io/client-go
// rest/request.go logBody), and a body may be a Secret; up to 7 it logs
// each request's method, URL, status and time (6) and its headers (7),
// with the Authorization header masked (transport/round_trippers.go
// maskValue).
const maxVerbosity = 7

// verbosityFlag is kubectl's -v. klog, which client-go logs through,
// writes to stderr.
func verbosityFlag() cli.Flag {
	return &cli.IntFlag{
		Name: "v",
		Usage: fmt.Sprintf("request log on stderr, as kubectl's -v: 6 requests and their status, 7 also their headers; "+
			"capped at %d, as higher levels log bodies, which may hold Secret data", maxVerbosity),
	}
}

// klogLevel applies -v to klog for one run and puts the previous level
// back after it. klog's level is process-wide state; it is set only when
// -v is given, and tests that run the CLI in-process with -v must not run
// in parallel with one another.
type klogLevel struct {
	s    streams
	fs   *flag.FlagSet // klog's flags; nil when -v was not given
	prev string
	// silenced: without -v, klog's output is discarded for the run.
	silenced bool
}

// before is every command's Before: it reads -v wherever on the command
// line it was given, caps it and sets klog's level.
func (l *klogLevel) before(c *cli.Context) error {
	level, set := verbosity(c)
	if !set {
		// client-go reports some failures through klog as well as in the
		// error it returns (utilruntime.HandleError: "Unhandled Error",
		// discovery's "couldn't get resource list"): kapply's own message
		// says it once, so klog says nothing without -v (issue 12, G).
		klog.SetLogger(logr.Discard())
		l.silenced = true
		return nil
	}
	if level < 0 {
		return withCode(exitUsage, fmt.Errorf("-v must be 0 or more, got %d", level))
	}
	if level > maxVerbosity {
		fmt.Fprintf(l.s.err, "warning: -v %d is capped at %d: higher levels would log request and response bodies, which may hold Secret data\n", level, maxVerbosity)
		level = maxVerbosity
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	v := fs.Lookup("v")
	if v == nil {
		return errors.New("klog has no -v flag")
	}
	l.fs, l.prev = fs, v.Value.String()
	return fs.Set("v", strconv.Itoa(level))
}

// after is every command's After: it restores klog's level.
func (l *klogLevel) after(*cli.Context) error {
	if l.silenced {
		klog.ClearLogger()
		l.silenced = false
	}
	if l.fs == nil {
		return nil
	}
	fs := l.fs
	l.fs = nil
	return fs.Set("v", l.prev)
}

// verbosity returns -v from the command or, before it, the app.
func verbosity(c *cli.Context) (int, bool) {
	for _, ctx := range c.Lineage() {
		if ctx.Command == nil && ctx.App == nil {
			continue
		}
		if ctx.IsSet("v") {
			return ctx.Int("v"), true
		}
	}
	return 0, false
}
