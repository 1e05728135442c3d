package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// runKapply runs the CLI in-process, as main does, and returns its exit
// code and output.
func runKapply(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"kapply"}, args...), streams{in: strings.NewReader(""), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func TestExitCodesAndUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "help lists the exit codes", args: []string{"--help"}, wantCode: exitOK, wantStdout: "130  interrupted (SIGINT or SIGTERM)"},
		{name: "client version", args: []string{"version", "--client"}, wantCode: exitOK, wantStdout: "Client Version: "},
		{name: "unknown flag is a usage error", args: []string{"version", "--no-such-flag"}, wantCode: exitUsage, wantStderr: "flag provided but not defined: -no-such-flag"},
		{name: "bad output format", args: []string{"version", "--client", "-o", "yaml"}, wantCode: exitUsage, wantStderr: `error: --output must be text or json, got "yaml"`},
		{name: "unreachable cluster is a warning", args: []string{"version", "--kubeconfig", "testdata/no-such-kubeconfig"}, wantCode: exitOK, wantStderr: "warning: no server version: load kubeconfig:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runKapply(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout %q does not contain %q", stdout, tc.wantStdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.wantStderr)
			}
		})
	}
}

func TestVersionJSONIsJSONOnly(t *testing.T) {
	code, stdout, _ := runKapply(t, "version", "--client", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit code %d", code)
	}
	var info versionInfo
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		t.Fatalf("stdout is not one versionInfo JSON object: %v\n%s", err, stdout)
	}
	if info.Client == "" || !strings.HasPrefix(info.GoVersion, "go") || info.Server != "" {
		t.Errorf("unexpected version info %+v", info)
	}
}

func TestDefaultToApply(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "flags only means apply", args: []string{"kapply", "-f", "dir/"}, want: []string{"kapply", "apply", "-f", "dir/"}},
		{name: "-k only means apply", args: []string{"kapply", "-k", "delete"}, want: []string{"kapply", "apply", "-k", "delete"}},
		{name: "a file named like a command", args: []string{"kapply", "-f", "version"}, want: []string{"kapply", "apply", "-f", "version"}},
		{name: "global flag then command", args: []string{"kapply", "--kubeconfig", "k", "version"}, want: []string{"kapply", "--kubeconfig", "k", "version"}},
		{name: "command first", args: []string{"kapply", "create", "-f", "x"}, want: []string{"kapply", "create", "-f", "x"}},
		{name: "help", args: []string{"kapply", "--help"}, want: []string{"kapply", "--help"}},
		{name: "nothing", args: []string{"kapply"}, want: []string{"kapply"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := defaultToApply(tc.args)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("defaultToApply(%q) = %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}
