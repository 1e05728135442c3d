package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Run starts a cluster in a fresh temporary directory, runs argv with
// KUBECONFIG pointing at it and tears the cluster down whatever happens. It
// returns argv's exit status (128+N when argv died of signal N). When ctx
// ends (the caller got SIGINT or SIGTERM), argv gets SIGTERM, then SIGKILL
// after 10 s.
func Run(ctx context.Context, opts Options, argv []string) (code int, err error) {
	if len(argv) == 0 {
		return 2, errors.New("no command to run: use `devcluster run [flags] -- CMD ARGS...`")
	}
	dir, err := os.MkdirTemp("", "devcluster-")
	if err != nil {
		return 1, err
	}
	opts.Dir = dir
	c, err := Up(ctx, opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return 1, err
	}
	defer func() {
		if downErr := c.Down(); downErr != nil {
			err = errors.Join(err, fmt.Errorf("tear down: %w", downErr))
			if code == 0 {
				code = 1
			}
		}
	}()

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig, "DEVCLUSTER_DIR="+c.Dir)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()
	if runErr == nil {
		return 0, nil
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exitErr.ExitCode(), nil
	}
	return 127, fmt.Errorf("run %s: %w", argv[0], runErr)
}
