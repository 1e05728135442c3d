package main

import (
	"flag"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

// klogV returns klog's current -v.
func klogV(t *testing.T) string {
	t.Helper()
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	return fs.Lookup("v").Value.String()
}

// TestVerbosityIsCappedAndRestored checks -v wherever it is given: levels
// that would log bodies are lowered with a warning, and klog's level is
// back to what it was once the run ends.
func TestVerbosityIsCappedAndRestored(t *testing.T) {
	const capped = "warning: -v 10 is capped at 7: higher levels would log request and response bodies, which may hold Secret data\n"
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "after the command", args: []string{"version", "--client", "-v", "10"}, wantCode: exitOK, wantStderr: capped},
		{name: "before the command", args: []string{"-v", "10", "version", "--client"}, wantCode: exitOK, wantStderr: capped},
		{name: "kubectl's --v=", args: []string{"version", "--client", "--v=10"}, wantCode: exitOK, wantStderr: capped},
		{name: "allowed level", args: []string{"version", "--client", "-v", "7"}, wantCode: exitOK, wantStderr: ""},
		{name: "negative", args: []string{"version", "--client", "-v", "-1"}, wantCode: exitUsage, wantStderr: "error: -v must be 0 or more, got -1\n"},
		{name: "not a number", args: []string{"version", "--client", "-v", "x"}, wantCode: exitUsage, wantStderr: `invalid value "x" for flag -v`},
	}
	before := klogV(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runKapply(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstderr: %s", code, tc.wantCode, stderr)
			}
			if tc.wantStderr == "" && stderr != "" || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr %q, want %q", stderr, tc.wantStderr)
			}
			if got := klogV(t); got != before {
				t.Errorf("klog -v is %s after the run, want %s as before", got, before)
			}
		})
	}
}

func TestDefaultToApplySkipsTheValueOfV(t *testing.T) {
	got := defaultToApply([]string{"kapply", "-v", "6", "-f", "x.yaml"})
	if want := "kapply apply -v 6 -f x.yaml"; strings.Join(got, " ") != want {
		t.Errorf("defaultToApply = %q, want %q", got, want)
	}
	got = defaultToApply([]string{"kapply", "-v", "6", "status", "-f", "x.yaml"})
	if want := "kapply -v 6 status -f x.yaml"; strings.Join(got, " ") != want {
		t.Errorf("defaultToApply = %q, want %q", got, want)
	}
}
