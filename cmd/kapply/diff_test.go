package main

import (
	"strings"
	"testing"
)

func TestDiffUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "no input", args: []string{"diff"}, wantStderr: `no input: give -f`},
		{name: "bad output format", args: []string{"diff", "-f", "x.yaml", "-o", "yaml"}, wantStderr: `error: --output must be text or json, got "yaml"`},
		{name: "bad validation", args: []string{"diff", "-f", "x.yaml", "--validate", "loose"}, wantStderr: `error: --validate must be strict, warn or ignore, got "loose"`},
		{name: "diff does not write, so has no --dry-run", args: []string{"diff", "-f", "x.yaml", "--dry-run", "server"}, wantStderr: "flag provided but not defined: -dry-run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runKapply(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("exit %d, want %d; stderr %q, want it to contain %q", code, exitUsage, stderr, tc.wantStderr)
			}
		})
	}
}
