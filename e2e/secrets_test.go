//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// randomMarker is a value no output could hold by chance.
func randomMarker(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "leak-" + hex.EncodeToString(b)
}

// leakForms are the forms in which a value could show: as is, and base64
// (padded, unpadded, URL-safe) as a Secret's data holds it.
func leakForms(values ...string) []string {
	var out []string
	for _, v := range values {
		b := []byte(v)
		out = append(out, v, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b))
	}
	return out
}

// currentToken returns the bearer token of the kubeconfig's current
// context.
func currentToken(t *testing.T, kubeconfig string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	user := cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo]
	if user == nil || user.Token == "" {
		t.Fatal("the current context has no bearer token")
	}
	return user.Token
}

func assertNoLeak(t *testing.T, forbidden []string, stdout, stderr string) {
	t.Helper()
	for _, f := range forbidden {
		for stream, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
			if strings.Contains(text, f) {
				t.Errorf("%s shows %q:\n%s", stream, f, text)
			}
		}
	}
}

// TestSecretValuesAndTokensNeverReachTheOutput sends a Secret with random
// values in data and stringData through every command and the flags that
// change what is printed, at the default level and with -v 10, and the
// Secrets the server refuses while quoting what it got; neither the
// values, in any encoding, nor the kubeconfig's bearer token may appear
// on stdout or stderr.
func TestSecretValuesAndTokensNeverReachTheOutput(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "secret-leaks"
	testcluster.CreateNamespace(t, kc, ns)
	marker, changed := randomMarker(t), randomMarker(t)
	n, err := rand.Int(rand.Reader, big.NewInt(9e11))
	if err != nil {
		t.Fatal(err)
	}
	number := fmt.Sprint(n.Int64() + 1e11) // 12 digits
	forbidden := append(leakForms(marker, changed, number), currentToken(t, kc))

	secret := func(value string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: %s\nstringData:\n  token: %s\n",
			base64.StdEncoding.EncodeToString([]byte(value)), value)
	}
	refused := func(name, body string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n%s", name, body)
	}
	// What the server says about each, measured on Kubernetes 1.37:
	// server-side apply quotes a value that is not a string; the others
	// name the field or key only.
	asList := refused("as-list", fmt.Sprintf("stringData:\n  token: [%s]\ndata:\n  password: %s\n", marker, base64.StdEncoding.EncodeToString([]byte(marker))))
	asNumber := refused("as-number", fmt.Sprintf("stringData:\n  pin: %s\n  token: %s\n", number, marker))
	asMapping := refused("as-mapping", fmt.Sprintf("data:\n  password:\n    nested: %s\n", marker))
	badKey := refused("bad-key", fmt.Sprintf("data:\n  \"not a key!\": %s\nstringData:\n  token: %s\n", base64.StdEncoding.EncodeToString([]byte(marker)), marker))
	unknownField := refused("unknown-field", fmt.Sprintf("stringData:\n  token: %s\nspec:\n  token: %s\n", marker, marker))

	steps := []struct {
		name   string
		in     string
		args   []string
		code   int
		stdout string // what stdout must hold
	}{
		{"apply creates", secret(marker), []string{"apply"}, exitOK, "secret/creds -n secret-leaks created\n"},
		{"apply -o json", secret(marker), []string{"apply", "-o", "json"}, exitOK, `"action":"unchanged"`},
		{"apply --dry-run=server with a change", secret(changed), []string{"apply", "--dry-run=server"}, exitOK, "secret/creds -n secret-leaks configured (dry run)\n"},
		{"diff after a change", secret(changed), []string{"diff"}, exitDiffers, "+  password: '*** (changed)'\n"},
		{"diff -o json after a change", secret(changed), []string{"diff", "-o", "json"}, exitDiffers, `"action":"update"`},
		{"apply --mode=update with a change", secret(changed), []string{"apply", "--mode=update"}, exitOK, "secret/creds -n secret-leaks configured\n"},
		{"apply --mode=update -o json back", secret(marker), []string{"apply", "--mode=update", "-o", "json"}, exitOK, `"action":"configured"`},
		{"create of the existing Secret", secret(marker), []string{"create"}, exitFailed, `secret/creds -n secret-leaks failed: -#1: secrets "creds" already exists` + "\n"},
		{"status", secret(marker), []string{"status"}, exitOK, "1 object: 1 ready\n"},
		{"status -o json", secret(marker), []string{"status", "-o", "json"}, exitOK, `"result":"ready"`},
		{"wait", secret(marker), []string{"wait", "--timeout", "1m"}, exitOK, "1 object: 1 ready\n"},
		{"wait -o json", secret(marker), []string{"wait", "--timeout", "1m", "-o", "json"}, exitOK, `"result":"ready"`},
		{"apply --wait", secret(marker), []string{"apply", "--wait", "--timeout", "1m"}, exitOK, "1 object: 1 ready\n"},
		{"apply: a value that is a list", asList, []string{"apply"}, exitFailed, "expected string, got &value.valueUnstructured{Value:[]interface {}{\"***\"}}\n"},
		{"apply: a value that is a number", asNumber, []string{"apply"}, exitFailed, "expected string, got &value.valueUnstructured{Value:***}\n"},
		{"apply -o json: a value that is a mapping", asMapping, []string{"apply", "-o", "json"}, exitFailed, `Value:map[string]interface {}{\"nested\":\"***\"}}"`},
		{"apply --mode=update: a value that is a list", asList, []string{"apply", "--mode=update"}, exitFailed, "cannot unmarshal array into Go struct field Secret.stringData of type string\n"},
		{"create: a value that is a number", asNumber, []string{"create"}, exitFailed, "cannot unmarshal number into Go struct field Secret.stringData of type string\n"},
		{"apply --dry-run=server: a value that is a list", asList, []string{"apply", "--dry-run=server"}, exitFailed, "failed (dry run)"},
		{"diff: a value that is a list", asList, []string{"diff"}, exitNotDiffable, ""},
		{"diff -o json: a value that is a number", asNumber, []string{"diff", "-o", "json"}, exitNotDiffable, `Value:***}`},
		{"apply: a key the server refuses", badKey, []string{"apply"}, exitFailed, `data[not a key!]: Invalid value: "not a key!"`},
		{"apply: an unknown field, strict validation", unknownField, []string{"apply"}, exitFailed, ".spec: field not declared in schema\n"},
		{"delete", secret(marker), []string{"delete"}, exitOK, "1 object: 1 deleted\n"},
		{"create -o json", secret(marker), []string{"create", "-o", "json"}, exitOK, `"action":"created"`},
		{"delete -o json", secret(marker), []string{"delete", "-o", "json"}, exitOK, `"action":"deleted"`},
	}
	cache := filepath.Join(t.TempDir(), "cache")
	for _, verbose := range []bool{false, true} {
		for _, st := range steps {
			name := st.name
			args := append(append([]string{}, st.args...), "-f", "-", "-n", ns)
			if verbose {
				name += " -v 10"
				args = append(args, "-v", "10")
			}
			t.Run(name, func(t *testing.T) {
				code, stdout, stderr := kapplyProc(t, kc, cache, st.in, args...)
				if code != st.code {
					t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, st.code, stdout, stderr)
				}
				if !strings.Contains(stdout, st.stdout) {
					t.Errorf("stdout does not hold %q:\n%s\nstderr:\n%s", st.stdout, stdout, stderr)
				}
				assertNoLeak(t, forbidden, stdout, stderr)
				if !verbose {
					return
				}
				// The request log is on (so there was something to leak),
				// and a level that would log bodies was lowered.
				if !strings.HasPrefix(stderr, "warning: -v 10 is capped at 7: ") {
					t.Errorf("stderr does not start with the -v warning:\n%s", stderr)
				}
				if !strings.Contains(stderr, "Authorization: Bearer <masked>") || !strings.Contains(stderr, `"Request" verb="`) {
					t.Errorf("stderr holds no request log:\n%s", stderr)
				}
				if strings.Contains(stderr, "Response Body") || strings.Contains(stderr, "Request Body") || strings.Contains(stderr, "curl -v") {
					t.Errorf("stderr logs bodies or curl commands:\n%s", stderr)
				}
			})
		}
	}
}

// TestBadKubeconfigErrorsShowNoCredentials breaks a copy of the cluster's
// kubeconfig in ways whose errors come from different parsers, and checks
// that the error names the file and shows none of its tokens.
func TestBadKubeconfigErrorsShowNoCredentials(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	raw, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	token := currentToken(t, kc)
	text := string(raw)
	line := "token: " + token
	if !strings.Contains(text, line) {
		t.Fatalf("the kubeconfig has no %q line", "token: TOKEN")
	}
	tests := []struct {
		name, content, want string
	}{
		{"the token in a mapping used as a key", strings.Replace(text, line, "token: x\n    ? {t: "+token+"}\n    : x", 1), "yaml: invalid map key: a mapping or a list used as a key (its content is not shown)"},
		{"the token in a list", strings.Replace(text, line, "token: ["+token+"]", 1), "json: cannot unmarshal array into Go struct field AuthInfo.users.user.token of type string"},
		{"cut after the token", text[:strings.Index(text, line)+len(line)] + "\n  - [", "yaml: line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kubeconfig")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := kapplyProc(t, path, filepath.Join(t.TempDir(), "cache"), configMap("x", "", nil), "apply", "-f", "-", "-v", "7")
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if want := `error: load kubeconfig: error loading config file "` + path + `": ` + tc.want; !strings.Contains(stderr, want) {
				t.Errorf("stderr does not hold %q:\n%s", want, stderr)
			}
			assertNoLeak(t, []string{token}, stdout, stderr)
		})
	}
}
