//go:build bench

package bench

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// countingProxy forwards plain HTTP on loopback to the API server and
// counts the discovery requests that pass: the API server's
// apiserver_request_total does not count GETs of /api, /apis and
// /apis/<group>[/<version>], so the bench counts them here.
type countingProxy struct {
	mu        sync.Mutex
	discovery int
	openapi   int
	total     int
}

// startCountingProxy starts a counting proxy in front of the API server of
// kubeconfig's current context and returns a kubeconfig that talks to it
// over plain HTTP. client-go sends no bearer token over plain HTTP, so
// the proxy adds the context's token to requests that carry none. It stops
// when the test ends.
func startCountingProxy(t *testing.T, kubeconfig string) (string, *countingProxy) {
	t.Helper()
	kc, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster := kc.Clusters[kc.Contexts[kc.CurrentContext].Cluster]
	caData := cluster.CertificateAuthorityData
	if len(caData) == 0 && cluster.CertificateAuthority != "" {
		if caData, err = os.ReadFile(cluster.CertificateAuthority); err != nil {
			t.Fatal(err)
		}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caData) {
		t.Fatal("counting proxy: the kubeconfig has no CA to verify the API server with")
	}
	token := kc.AuthInfos[kc.Contexts[kc.CurrentContext].AuthInfo].Token
	upstream, err := url.Parse(cluster.Server)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(upstream)
	rp.Transport = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 64,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(r)
		if r.Header.Get("Authorization") == "" && token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for _, c := range kc.Clusters {
		if c.Server == cluster.Server {
			c.Server = "http://" + ln.Addr().String()
			c.CertificateAuthority, c.CertificateAuthorityData = "", nil
		}
	}
	path := filepath.Join(t.TempDir(), "kubeconfig-proxy")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path, p
}

func (p *countingProxy) count(r *http.Request) {
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	switch {
	case r.Method == http.MethodGet && seg[0] == "api" && len(seg) <= 2,
		r.Method == http.MethodGet && seg[0] == "apis" && len(seg) <= 3:
		p.discovery++
	case seg[0] == "openapi":
		p.openapi++
	}
}

// take returns the counts so far and resets them.
func (p *countingProxy) take() (discovery, openapi, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	discovery, openapi, total = p.discovery, p.openapi, p.total
	p.discovery, p.openapi, p.total = 0, 0, 0
	return discovery, openapi, total
}
