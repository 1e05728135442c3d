//go:build e2e

package e2e

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// tcpForwarder passes connections on loopback through to the API server
// (TLS and all), so that a test can take "the server" away by closing it:
// the next connection to its address is refused.
type tcpForwarder struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startForwarder(t *testing.T, addr, upstream string) *tcpForwarder {
	t.Helper()
	f, err := listenForwarder(addr, upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	return f
}

// listenForwarder is startForwarder for goroutines other than the test's.
func listenForwarder(addr, upstream string) (*tcpForwarder, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := &tcpForwarder{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, u)
			f.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	return f, nil
}

// close stops listening and cuts every connection.
func (f *tcpForwarder) close() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

// kubeconfigVia writes a copy of kubeconfig whose current cluster is at
// addr (the server's certificate is for 127.0.0.1, so TLS still verifies),
// and returns it with the server's host:port.
func kubeconfigVia(t *testing.T, kubeconfig, addr string) (path, upstream string) {
	t.Helper()
	path, _ = kubeconfigWith(t, kubeconfig, func(c *clientcmdapi.Cluster) {
		upstream = strings.TrimPrefix(c.Server, "https://")
		c.Server = "https://" + addr
	})
	return path, upstream
}

// An API server that cannot be reached is one line naming the server and
// the cause, exit 1, and nothing from client-go's log (issue 12, G):
// whether discovery hits it first (cold cache) or, with discovery cached,
// the objects' reads do.
func TestUnreachableServerIsOneLine(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "unreachable"
	testcluster.CreateNamespace(t, kc, ns)
	path := filepath.Join(t.TempDir(), "bundle.yaml")
	if err := os.WriteFile(path, []byte(bundle(configMap("a", "", nil), configMap("b", "", nil), configMap("c", "", nil))), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, kubeconfig, cache string, args ...string) (int, string, string) {
		t.Helper()
		return kapplyProc(t, kubeconfig, cache, "", append(args, "-f", path, "-n", ns)...)
	}
	for _, tc := range []struct {
		name string
		warm bool // discovery cached by a run while the server was there
		args []string
	}{
		{name: "apply, cold cache", args: []string{"apply"}},
		{name: "apply, discovery cached", warm: true, args: []string{"apply"}},
		{name: "create, cold cache", args: []string{"create", "--dry-run=server"}},
		{name: "diff, cold cache", args: []string{"diff"}},
		{name: "status, cold cache", args: []string{"status"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A loopback port nothing listens on any more.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			viaKC, upstream := kubeconfigVia(t, kc, addr)
			ln.Close()
			cache := filepath.Join(t.TempDir(), "cache")
			if tc.warm {
				f := startForwarder(t, addr, upstream)
				if code, _, stderr := run(t, viaKC, cache, "diff"); code != exitDiffers {
					t.Fatalf("warming the cache: exit %d\n%s", code, stderr)
				}
				f.close()
			}
			code, stdout, stderr := run(t, viaKC, cache, tc.args...)
			want := "error: cannot reach the API server https://" + addr + ": dial tcp " + addr + ": connect: connection refused\n"
			if code != exitFailed || stderr != want || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit %d, no stdout and stderr:\n%s", code, stdout, stderr, exitFailed, want)
			}
		})
	}
}

// Discovery's GETs that cannot connect are retried with the retry policy
// (issue 12, G): a server that starts listening shortly after kapply does
// (a restart) costs retries, not the run. The policy's waits add up to
// well over a second, the server is back after a fraction of that.
func TestDiscoveryRidesOutAServerStarting(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "server-starting"
	testcluster.CreateNamespace(t, kc, ns)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	viaKC, upstream := kubeconfigVia(t, kc, addr)
	ln.Close()
	started := make(chan *tcpForwarder, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		f, err := listenForwarder(addr, upstream)
		if err != nil {
			t.Errorf("the server could not start listening on %s: %v", addr, err)
		}
		started <- f
	}()
	code, stdout, stderr := kapplyIn(t, viaKC, configMap("a", "", nil), "apply", "-f", "-", "-n", ns, "-o", "json")
	if f := <-started; f != nil {
		f.close()
	}
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, sum := parseJSONResults(t, stdout); sum.Retries == 0 {
		t.Errorf("no retry reported, yet the server was not listening when kapply began:\n%s", stdout)
	}
	if !configMapExists(t, kc, ns, "a") {
		t.Error("configmap a was not created")
	}
}
