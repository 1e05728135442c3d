package dynamicx

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const kubeconfigA = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:6443"}
- name: insecure
  cluster: {server: "https://127.0.0.1:7443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: secret-token}
contexts:
- name: a
  context: {cluster: a, user: u, namespace: team-a}
- name: insecure
  context: {cluster: insecure, user: u}
current-context: a
`

const kubeconfigB = `apiVersion: v1
kind: Config
clusters:
- name: b
  cluster: {server: "https://127.0.0.2:6443"}
users:
- name: v
  user: {token: other-token}
contexts:
- name: b
  context: {cluster: b, user: v, namespace: team-b}
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigFollowsKubectlRules(t *testing.T) {
	a, b := writeFile(t, "a", kubeconfigA), writeFile(t, "b", kubeconfigB)
	tests := []struct {
		name         string
		env          string
		opts         ConfigOptions
		wantHost     string
		wantNS       string
		wantExplicit bool
		wantInsecure bool
	}{
		{name: "explicit file, its current context", opts: ConfigOptions{Kubeconfig: a}, wantHost: "https://127.0.0.1:6443", wantNS: "team-a"},
		{name: "KUBECONFIG files are merged", env: a + string(os.PathListSeparator) + b, opts: ConfigOptions{Context: "b"}, wantHost: "https://127.0.0.2:6443", wantNS: "team-b"},
		{name: "-n overrides the context", opts: ConfigOptions{Kubeconfig: a, Namespace: "x"}, wantHost: "https://127.0.0.1:6443", wantNS: "x", wantExplicit: true},
		{name: "no namespace in the context means default", opts: ConfigOptions{Kubeconfig: a, Context: "insecure"}, wantHost: "https://127.0.0.1:7443", wantNS: "default", wantInsecure: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tc.env)
			opts := DefaultConfigOptions()
			opts.Kubeconfig, opts.Context, opts.Namespace = tc.opts.Kubeconfig, tc.opts.Context, tc.opts.Namespace
			cfg, err := LoadConfig(opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.REST.Host != tc.wantHost || cfg.Namespace != tc.wantNS || cfg.NamespaceExplicit != tc.wantExplicit || cfg.Insecure != tc.wantInsecure {
				t.Errorf("got host %s ns %s explicit %v insecure %v; want %s %s %v %v",
					cfg.REST.Host, cfg.Namespace, cfg.NamespaceExplicit, cfg.Insecure, tc.wantHost, tc.wantNS, tc.wantExplicit, tc.wantInsecure)
			}
			if cfg.REST.QPS >= 0 || cfg.REST.RateLimiter != nil {
				t.Errorf("client-side throttling is on by default: qps %v", cfg.REST.QPS)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, err := LoadConfig(DefaultConfigOptions()); err == nil || err.Error() != "no cluster to talk to: set --kubeconfig or KUBECONFIG, or run inside a cluster" {
		t.Errorf("no kubeconfig: got %v", err)
	}
	a := writeFile(t, "a", kubeconfigA)
	opts := DefaultConfigOptions()
	opts.Kubeconfig, opts.Context = a, "missing"
	if _, err := LoadConfig(opts); err == nil {
		t.Error("an unknown context was accepted")
	}
}

func TestResolveWithScope(t *testing.T) {
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	obj := func(ns string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
		u.SetName("cm")
		u.SetNamespace(ns)
		return u
	}
	tests := []struct {
		name       string
		cfg        Config
		ns         string
		namespaced bool
		wantNS     string
		wantErr    error
	}{
		{name: "defaulted from the context", cfg: Config{Namespace: "ctx"}, namespaced: true, wantNS: "ctx"},
		{name: "own namespace kept without -n", cfg: Config{Namespace: "ctx"}, ns: "mine", namespaced: true, wantNS: "mine"},
		{name: "own namespace equal to -n", cfg: Config{Namespace: "x", NamespaceExplicit: true}, ns: "x", namespaced: true, wantNS: "x"},
		{name: "own namespace differs from -n", cfg: Config{Namespace: "x", NamespaceExplicit: true}, ns: "y", namespaced: true, wantErr: ErrNamespaceMismatch},
		{name: "cluster-scoped stays without namespace", cfg: Config{Namespace: "ctx"}, wantNS: ""},
		{name: "cluster-scoped with a namespace", cfg: Config{Namespace: "ctx"}, ns: "y", wantErr: ErrClusterScopedWithNamespace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ResolveWithScope(&tc.cfg, obj(tc.ns), gvr, tc.namespaced)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && res.Ref.Namespace != tc.wantNS {
				t.Errorf("namespace %q, want %q", res.Ref.Namespace, tc.wantNS)
			}
		})
	}
}

func TestDiscoveryCacheDirMatchesKubectl(t *testing.T) {
	// kubectl: ~/.kube/cache/discovery/127.0.0.1_6443
	got := computeDiscoveryCacheDir("/c/discovery", "https://127.0.0.1:6443")
	if want := "/c/discovery/127.0.0.1_6443"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
