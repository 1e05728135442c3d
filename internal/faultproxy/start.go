package faultproxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"
)

// Start starts a fault proxy in front of the API server of
// kubeconfig's current context and returns a kubeconfig that talks to it:
// the same users and contexts (the token passes through), every cluster
// of that server pointed at the proxy, trusting the proxy's certificate.
// The proxy verifies the API server against the original kubeconfig's CA.
// It stops when the test ends.
func Start(t *testing.T, kubeconfig string, cfg Config) (string, *Proxy) {
	t.Helper()
	up := LoadUpstream(t, kubeconfig)
	p := &Proxy{upstream: up.Server, transport: up.Transport, sched: newSchedule(cfg)}

	cert, certPEM := selfSignedLoopbackCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: p,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			NextProtos:   []string{"http/1.1"},
			MinVersion:   tls.VersionTLS12,
		},
		// HTTP/1.1 only: a reset breaks one request, not a whole HTTP/2
		// connection's streams.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		// Resets and hijacks make the server log; the log of requests is
		// what tests look at.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return up.Redirect(t, "https://"+ln.Addr().String(), certPEM), p
}

// selfSignedLoopbackCert makes a certificate for 127.0.0.1 that is its own
// CA.
func selfSignedLoopbackCert(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kapply fault proxy"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}
