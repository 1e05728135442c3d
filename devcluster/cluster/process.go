package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Component is one control-plane process started by Up and recorded in the
// state file so that Down, possibly run by another process, can stop it.
type Component struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	Log  string `json:"log"`

	exited chan struct{} // closed when the process exits; nil after a reload
	err    error         // the exit error, once exited is closed
}

// startComponent starts `binary name args...` in its own session (so that
// Down can signal its whole process group and a Ctrl-C on the caller's
// terminal does not kill it mid-test), with output to DIR/logs/NAME.log.
func startComponent(binary, dir, name string, args []string) (*Component, error) {
	logPath := filepath.Join(dir, "logs", name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", name, err)
	}
	defer logFile.Close()
	cmd := exec.Command(binary, append([]string{name}, args...)...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &Component{Name: name, PID: cmd.Process.Pid, Log: logPath, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// running reports whether the component's process still exists. A process
// started by this one is reaped by the goroutine in startComponent, so the
// signal-0 probe below does not mistake a zombie for a live process.
func (c *Component) running() bool {
	if c.exited != nil {
		select {
		case <-c.exited:
			return false
		default:
			return true
		}
	}
	if c.PID <= 0 {
		return false
	}
	if err := syscall.Kill(c.PID, 0); err != nil {
		return !errors.Is(err, syscall.ESRCH)
	}
	// A process of another parent that has exited but is not yet reaped
	// still answers signal 0; /proc tells it apart.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.PID))
	if err != nil {
		return false
	}
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// stop sends SIGTERM to the component's process group, waits up to grace
// for it to exit, then sends SIGKILL and waits again.
func (c *Component) stop(grace time.Duration) error {
	if !c.running() {
		return nil
	}
	_ = syscall.Kill(-c.PID, syscall.SIGTERM)
	if c.waitExit(grace) {
		return nil
	}
	_ = syscall.Kill(-c.PID, syscall.SIGKILL)
	if c.waitExit(10 * time.Second) {
		return nil
	}
	return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", c.Name, c.PID)
}

func (c *Component) waitExit(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !c.running() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !c.running()
}

// exitError describes a component that exited during start-up, with the
// last lines of its log, which is where the reason is.
func (c *Component) exitError() error {
	return fmt.Errorf("%s exited during start-up (%v); last lines of %s:\n%s", c.Name, c.err, c.Log, tail(c.Log, 20))
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "  (no log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, "  "+sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
