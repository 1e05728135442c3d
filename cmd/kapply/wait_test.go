package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/apply/watcher"
	"github.com/kapply-dev/kapply/dynamicx"
)

// Flag mistakes are caught before any input is read or any cluster
// contacted: the -f paths here do not exist.
func TestWaitFlagsAreValidatedFirst(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "wait with a dry run", args: []string{"apply", "-f", "no-such-file", "--wait", "--dry-run", "server"}, wantStderr: "error: --wait cannot be used with --dry-run: nothing is stored to wait for\n"},
		{name: "zero timeout", args: []string{"apply", "-f", "no-such-file", "--wait", "--timeout", "0s"}, wantStderr: "error: the wait timeout must be positive, got 0s\n"},
		{name: "wait command, negative timeout", args: []string{"wait", "-f", "no-such-file", "--timeout", "-1s"}, wantStderr: "error: the wait timeout must be positive, got -1s\n"},
		{name: "status, bad output", args: []string{"status", "-f", "no-such-file", "-o", "yaml"}, wantStderr: "error: --output must be text or json, got \"yaml\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runKapply(t, tc.args...)
			if code != exitUsage || stderr != tc.wantStderr || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and stderr %q", code, stdout, stderr, exitUsage, tc.wantStderr)
			}
		})
	}
}

func targetStatus(name string, state readiness.State, msg string) watcher.TargetStatus {
	return watcher.TargetStatus{
		Target: watcher.Target{Resolved: dynamicx.Resolved{Ref: dynamicx.Ref{Group: "apps", Kind: "Deployment", Namespace: "ns", Name: name}}},
		Status: readiness.Status{State: state, Message: msg},
	}
}

func TestCountStates(t *testing.T) {
	tests := []struct {
		name     string
		statuses []watcher.TargetStatus
		want     string
	}{
		{name: "none", want: "0 objects: 0 ready"},
		{name: "all ready", statuses: []watcher.TargetStatus{targetStatus("a", readiness.StateCurrent, ""), targetStatus("b", readiness.StateCurrent, "")}, want: "2 objects: 2 ready"},
		{
			name:     "mixed, in a fixed order",
			statuses: []watcher.TargetStatus{targetStatus("a", readiness.StateNotFound, ""), targetStatus("b", readiness.StateFailed, ""), targetStatus("c", readiness.StateInProgress, "")},
			want:     "3 objects: 0 ready, 1 in progress, 1 failed, 1 not found",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := countStates(tc.statuses); got != tc.want {
				t.Errorf("countStates = %q, want %q", got, tc.want)
			}
		})
	}
}

// The live table shows every row when they fit, else those not ready
// first; its lines never wrap, so that redrawing over them is exact.
func TestLiveTableRows(t *testing.T) {
	table := &liveTable{rows: []watcher.TargetStatus{
		targetStatus("a", readiness.StateCurrent, "rolled out, 1/1 available"),
		targetStatus("b", readiness.StateInProgress, "0/1 updated"),
		targetStatus("c", readiness.StateCurrent, "rolled out, 1/1 available"),
		targetStatus("d", readiness.StateFailed, "ProgressDeadlineExceeded"),
	}}
	// lines[0] is the header, with the time spent.
	all := table.lines(10)
	want := []string{
		"  ready        deployment.apps/a -n ns  rolled out, 1/1 available",
		"  in progress  deployment.apps/b -n ns  0/1 updated",
		"  ready        deployment.apps/c -n ns  rolled out, 1/1 available",
		"  failed       deployment.apps/d -n ns  ProgressDeadlineExceeded",
	}
	if diff := cmp.Diff(want, all[1:]); diff != "" {
		t.Errorf("rows that fit (-want +got):\n%s", diff)
	}
	few := table.lines(2)
	wantFew := []string{
		"  in progress  deployment.apps/b -n ns  0/1 updated",
		"  ... and 3 more",
	}
	if diff := cmp.Diff(wantFew, few[1:]); diff != "" {
		t.Errorf("rows that do not fit (-want +got):\n%s", diff)
	}
	if got := truncate("0123456789", 5); got != "0123…" {
		t.Errorf("truncate = %q", got)
	}
}

func TestLineLogIsOneLinePerChange(t *testing.T) {
	var buf bytes.Buffer
	l := &lineLog{w: &buf}
	l.update(targetStatus("web", readiness.StateInProgress, "0/2 updated, 0/2 ready, 0/2 available"))
	l.update(targetStatus("web", readiness.StateCurrent, "rolled out, 2/2 available"))
	want := "deployment.apps/web -n ns: in progress: 0/2 updated, 0/2 ready, 0/2 available\n" +
		"deployment.apps/web -n ns: ready: rolled out, 2/2 available\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(buf.String(), "\x1b") {
		t.Error("escape sequences outside a terminal")
	}
}
