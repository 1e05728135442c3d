package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/apply"
)

// The summary of a delete counts only what happened, also when nothing
// was deleted; an apply's always counts its three outcomes.
func TestSummaryLineFollowsTheCommand(t *testing.T) {
	failedOnly := &apply.ChangeSet{Results: []apply.Result{{Action: apply.Failed, Err: errors.New("forbidden")}}}
	deleted := &apply.ChangeSet{Results: []apply.Result{{Action: apply.Deleted}, {Action: apply.Failed, Err: errors.New("forbidden")}}}
	tests := []struct {
		name     string
		cs       *apply.ChangeSet
		deleting bool
		want     string
	}{
		{"delete, all failed", failedOnly, true, "1 object: 1 failed\n"},
		{"delete, some deleted", deleted, true, "2 objects: 1 deleted, 1 failed\n"},
		{"apply, all failed", failedOnly, false, "1 object: 0 created, 0 configured, 0 unchanged, 1 failed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &printer{s: streams{out: &out}}
			p.results(tc.cs, tc.deleting)
			lines := strings.SplitAfter(out.String(), "\n")
			if got := lines[len(lines)-2]; got != tc.want {
				t.Errorf("summary %q, want %q\nall output:\n%s", got, tc.want, out.String())
			}
		})
	}
}
