package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// Profiling for kapply's own performance work (issue 16), left out of
// --help: KAPPLY_CPUPROFILE=path writes a CPU profile of the whole run
// (`go tool pprof -top kapply path`), KAPPLY_TRACE=path an execution trace
// (`go tool trace path`).
const (
	cpuProfileEnv = "KAPPLY_CPUPROFILE"
	traceEnv      = "KAPPLY_TRACE"
)

// startProfiles starts what the environment asks for and returns the
// function that stops it and closes the files. Failures are reported on
// stderr and do not stop the run.
func startProfiles(stderr io.Writer) func() {
	var stops []func()
	start := func(env string, begin func(io.Writer) error, end func()) {
		path := os.Getenv(env)
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err == nil {
			if err = begin(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "warning: %s: %v\n", env, err)
			return
		}
		stops = append(stops, func() { end(); f.Close() })
	}
	start(cpuProfileEnv, pprof.StartCPUProfile, pprof.StopCPUProfile)
	start(traceEnv, trace.Start, trace.Stop)
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
