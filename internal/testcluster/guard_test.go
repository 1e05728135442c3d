package testcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a kubeconfig with one cluster per server, marked
// as devcluster's when marked, and returns its path.
func writeKubeconfig(t *testing.T, marked bool, servers ...string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	for i, server := range servers {
		c := &clientcmdapi.Cluster{Server: server}
		if marked {
			c.Extensions = map[string]runtime.Object{DevclusterMarker: &runtime.Unknown{Raw: []byte(`{"madeBy":"devcluster up"}`)}}
		}
		name := "c" + string(rune('0'+i))
		cfg.Clusters[name] = c
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: "u"}
		cfg.CurrentContext = name
	}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckLocalRefusesAnythingButADevcluster(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantErr string // "" accepts
	}{
		{"devcluster on 127.0.0.1", func(t *testing.T) string { return writeKubeconfig(t, true, "https://127.0.0.1:6443") }, ""},
		{"devcluster on ::1", func(t *testing.T) string { return writeKubeconfig(t, true, "https://[::1]:6443") }, ""},
		{"a real cluster", func(t *testing.T) string { return writeKubeconfig(t, false, "https://k8s.example.com:6443") }, "not a loopback address"},
		{"marked but remote", func(t *testing.T) string { return writeKubeconfig(t, true, "https://10.0.0.1:6443") }, "not a loopback address"},
		{"loopback, not made by devcluster", func(t *testing.T) string { return writeKubeconfig(t, false, "https://127.0.0.1:6443") }, "carries no devcluster.kapply.dev extension"},
		{"a host name that resolves to loopback", func(t *testing.T) string { return writeKubeconfig(t, true, "https://localhost:6443") }, "not a loopback address"},
		{"a second cluster that is real", func(t *testing.T) string {
			return writeKubeconfig(t, true, "https://127.0.0.1:6443", "https://k8s.example.com")
		}, "k8s.example.com"},
		{"several files", func(t *testing.T) string {
			p := writeKubeconfig(t, true, "https://127.0.0.1:6443")
			return p + string(os.PathListSeparator) + p
		}, "names several files"},
		{"no such file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing") }, "load KUBECONFIG"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLocal(tc.path(t))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}
