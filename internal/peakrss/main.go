// Command peakrss runs a command and writes the command's peak resident
// set size, in KiB, to a file: `peakrss FILE CMD ARGS...`. It exits with
// the command's status.
//
// The bench measures peak RSS through it because a child's ru_maxrss on
// Linux is never below its parent's: the kernel carries a process's
// high-water mark across exec (exec_mmap, setmax_mm_hiwater_rss), and a
// child starts as a copy, or with vfork a share, of its parent's memory
// (golang/go#32054). Started from the bench's test process, which decodes
// the bundles itself, every command reported that process's peak (issue
// 16). Started from this process, whose own resident set is a few MiB,
// a command reports its own.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: peakrss FILE CMD ARGS...")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(127)
	}
	kib := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	if err := os.WriteFile(os.Args[1], []byte(strconv.FormatInt(kib, 10)+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(127)
	}
	if code := cmd.ProcessState.ExitCode(); code >= 0 {
		os.Exit(code)
	}
	os.Exit(128 + int(cmd.ProcessState.Sys().(syscall.WaitStatus).Signal()))
}
