package faultproxy

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Upstream is the API server of a kubeconfig's current context, as a
// proxy in front of it needs it: its address, the context's bearer token
// and a transport that verifies the server against the kubeconfig's CA.
type Upstream struct {
	Server    string
	Token     string
	Transport *http.Transport

	config *clientcmdapi.Config
}

// LoadUpstream reads kubeconfig's current context. The transport's idle
// connections are closed when the test ends.
func LoadUpstream(t testing.TB, kubeconfig string) *Upstream {
	t.Helper()
	kc, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := kc.Contexts[kc.CurrentContext]
	if ctx == nil || kc.Clusters[ctx.Cluster] == nil {
		t.Fatalf("%s: no current context with a cluster", kubeconfig)
	}
	cluster := kc.Clusters[ctx.Cluster]
	caData := cluster.CertificateAuthorityData
	if len(caData) == 0 && cluster.CertificateAuthority != "" {
		if caData, err = os.ReadFile(cluster.CertificateAuthority); err != nil {
			t.Fatal(err)
		}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caData) {
		t.Fatalf("%s: no CA to verify the API server with", kubeconfig)
	}
	u := &Upstream{
		Server: cluster.Server,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
		},
		config: kc,
	}
	if auth := kc.AuthInfos[ctx.AuthInfo]; auth != nil {
		u.Token = auth.Token
	}
	t.Cleanup(u.Transport.CloseIdleConnections)
	return u
}

// Redirect writes a copy of the kubeconfig in which every cluster of the
// upstream server points at server instead, trusting caPEM (none for
// plain HTTP), and returns its path.
func (u *Upstream) Redirect(t testing.TB, server string, caPEM []byte) string {
	t.Helper()
	kc := u.config.DeepCopy()
	for _, c := range kc.Clusters {
		if c.Server == u.Server {
			c.Server = server
			c.CertificateAuthority = ""
			c.CertificateAuthorityData = caPEM
		}
	}
	path := filepath.Join(t.TempDir(), "proxy-kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}
