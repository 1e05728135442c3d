package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// countingReader records whether anything read the input.
type countingReader struct{ reads atomic.Int32 }

func (r *countingReader) Read([]byte) (int, error) {
	r.reads.Add(1)
	return 0, fmt.Errorf("stdin must not be read")
}

// Every command refuses positional arguments before it reads input or
// talks to a server (issue 12, A): the shell expands `-f k8s/*.yaml` into
// one -f and stray file names, and urfave/cli stops reading flags at the
// first of them.
func TestEveryCommandRefusesPositionalArguments(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no request may reach the server", http.StatusTeapot)
	}))
	defer srv.Close()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	kubeconfig := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\n"+
		"users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n", srv.URL)
	if err := os.WriteFile(kc, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		// stray is what the message must name.
		stray string
	}{
		{name: "apply", args: []string{"apply", "-f", "-", "b.yaml", "--dry-run=server"}, stray: `"b.yaml" "--dry-run=server"`},
		{name: "apply as the default command", args: []string{"-f", "-", "b.yaml", "-n", "prod"}, stray: `"b.yaml" "-n" "prod"`},
		{name: "apply without -f", args: []string{"apply", "app/"}, stray: `"app/"`},
		{name: "create", args: []string{"create", "-f", "-", "b.yaml"}, stray: `"b.yaml"`},
		{name: "diff", args: []string{"diff", "-f", "-", "b.yaml"}, stray: `"b.yaml"`},
		{name: "wait", args: []string{"wait", "-f", "-", "b.yaml", "--timeout", "1s"}, stray: `"b.yaml" "--timeout" "1s"`},
		{name: "status", args: []string{"status", "-f", "-", "b.yaml"}, stray: `"b.yaml"`},
		{name: "delete -f", args: []string{"delete", "-f", "-", "b.yaml", "--dry-run=server"}, stray: `"b.yaml" "--dry-run=server"`},
		{name: "delete --applyset", args: []string{"delete", "--applyset", "web", "-n", "prod", "web2"}, stray: `"web2"`},
		{name: "version", args: []string{"version", "extra"}, stray: `"extra"`},
		{name: "after --", args: []string{"apply", "-f", "-", "--", "b.yaml"}, stray: `"b.yaml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdin := &countingReader{}
			var out, errOut bytes.Buffer
			args := append([]string{"kapply", "--kubeconfig", kc}, tc.args...)
			code := run(context.Background(), args, streams{in: stdin, out: &out, err: &errOut})
			if code != exitUsage {
				t.Errorf("exit %d, want %d\nstderr: %s", code, exitUsage, errOut.String())
			}
			stderr := errOut.String()
			for _, want := range []string{"unexpected argument", tc.stray, "-f once per file", "the directory"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out.String())
			}
			if n := stdin.reads.Load(); n != 0 {
				t.Errorf("stdin was read %d times", n)
			}
			if n := requests.Swap(0); n != 0 {
				t.Errorf("%d requests reached the server", n)
			}
		})
	}
}
