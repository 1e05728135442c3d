//go:build bench

package bench

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/kapply-dev/kapply/internal/faultproxy"
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
	up := faultproxy.LoadUpstream(t, kubeconfig)
	upstream, err := url.Parse(up.Server)
	if err != nil {
		t.Fatal(err)
	}
	token := up.Token
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(upstream)
	rp.Transport = up.Transport
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

	return up.Redirect(t, "http://"+ln.Addr().String(), nil), p
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
