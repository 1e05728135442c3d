package main

import (
	"strings"
	"testing"
)

// TestKustomizeFlagUsage checks -k on every command that reads objects:
// exclusive with -f and -R as in kubectl, and a bad directory is exit 2
// before any connection (the kubeconfig named does not exist).
func TestKustomizeFlagUsage(t *testing.T) {
	noCluster := []string{"--kubeconfig", "testdata/no-such-kubeconfig"}
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "-f and -k", args: []string{"apply", "-f", "x.yaml", "-k", "dir"}, wantStderr: "only one of -f or -k can be given"},
		{name: "-k and -R", args: []string{"diff", "-k", "dir", "-R"}, wantStderr: "-k cannot be used with -R"},
		{name: "neither", args: []string{"status"}, wantStderr: "no input: give -f (a file, directory, URL or \"-\") or -k (a kustomization directory)"},
		{name: "delete: neither nor --applyset", args: []string{"delete"}, wantStderr: "give either -f or -k (the objects to delete) or --applyset"},
		{name: "delete: -k and --applyset", args: []string{"delete", "-k", "dir", "--applyset", "web"}, wantStderr: "give either -f or -k"},
	}
	for _, cmd := range []string{"apply", "create", "diff", "delete", "wait", "status"} {
		tests = append(tests, struct {
			name       string
			args       []string
			wantStderr string
		}{name: cmd + " -k on a directory without a kustomization", args: []string{cmd, "-k", "."}, wantStderr: ".: no kustomization.yaml, kustomization.yml or Kustomization in this directory"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runKapply(t, append(tc.args, noCluster...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("exit %d, want %d; stderr %q, want it to contain %q", code, exitUsage, stderr, tc.wantStderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}
