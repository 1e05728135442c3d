//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// testCA makes a CA and a serving certificate for 127.0.0.1 signed by it:
// the PEM of the CA (the webhook's caBundle) and the server's key pair.
func testCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kapply test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caCert, _ := x509.ParseCertificate(caDER)
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
}

// serveWebhook answers admission reviews on addr with "allowed" until the
// test ends.
func serveWebhook(t *testing.T, addr string, cert tls.Certificate) {
	t.Helper()
	ln, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review struct {
			APIVersion string `json:"apiVersion"`
			Request    struct {
				UID string `json:"uid"`
			} `json:"request"`
		}
		_ = json.NewDecoder(r.Body).Decode(&review)
		_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": review.APIVersion, "kind": "AdmissionReview",
			"response": map[string]any{"uid": review.Request.UID, "allowed": true}})
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A ValidatingWebhookConfiguration (failurePolicy Fail) for the ConfigMaps
// of one namespace, whose server is not up when kapply starts. It is
// cluster-wide, so the test has a fresh minimal cluster of its own.
func TestWritesWaitForAWebhookThatIsNotUpYet(t *testing.T) {
	kc := testcluster.New(t)
	guarded, free := "guarded", "free"
	testcluster.CreateNamespace(t, kc, guarded)
	testcluster.CreateNamespace(t, kc, free)
	caPEM, cert := testCA(t)
	addr := freeAddr(t)
	vwc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
		"metadata": map[string]any{"name": "guard"},
		"webhooks": []any{map[string]any{
			"name":                    "cm.kapply.test",
			"clientConfig":            map[string]any{"url": "https://" + addr + "/validate", "caBundle": caPEM},
			"rules":                   []any{map[string]any{"apiGroups": []any{""}, "apiVersions": []any{"v1"}, "operations": []any{"CREATE", "UPDATE"}, "resources": []any{"configmaps"}}},
			"namespaceSelector":       map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": guarded}},
			"failurePolicy":           "Fail",
			"sideEffects":             "None",
			"admissionReviewVersions": []any{"v1"},
			"timeoutSeconds":          int64(5),
		}},
	}}
	dyn := testcluster.Dynamic(t, kc)
	gvr := schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}
	if _, err := dyn.Resource(gvr).Create(context.Background(), vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server reads webhook configurations through an informer:
	// wait until it calls this one (a dry run is refused by it).
	probe := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "probe"}}}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		_, err := dyn.Resource(testcluster.ConfigMapsGVR).Namespace(guarded).Create(context.Background(), probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), "failed calling webhook") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server did not call the webhook within 30s (last answer: %v)", err)
		}
	}

	t.Run("never up: fails after the timeout, naming the webhook", func(t *testing.T) {
		in := bundle(configMap("never", guarded, nil), configMap("never", free, nil))
		code, stdout, stderr := kapplyIn(t, kc, in, "apply", "-f", "-", "--webhook-timeout", "3s")
		want := `configmap/never -n guarded failed: -#1: webhook cm.kapply.test could not be reached within 3s: Internal error occurred: failed calling webhook "cm.kapply.test"`
		if code != exitFailed || !strings.Contains(stdout, want) {
			t.Fatalf("exit %d, want %d and %q\n%s%s", code, exitFailed, want, stdout, stderr)
		}
		if want := "configmap/never -n guarded: waiting for webhook cm.kapply.test\n"; !strings.Contains(stderr, want) {
			t.Errorf("stderr does not hold %q:\n%s", want, stderr)
		}
		if !configMapExists(t, kc, free, "never") {
			t.Errorf("the ConfigMap the webhook does not guard was not written")
		}
	})

	t.Run("up a few seconds after kapply starts", func(t *testing.T) {
		in := bundle(configMap("later", guarded, nil), configMap("later", free, nil))
		cmd := exec.Command(testcluster.KapplyBin(t), "apply", "-f", "-", "--webhook-timeout", "2m", "--kubeconfig", kc, "--cache-dir", filepath.Join(t.TempDir(), "cache"))
		var out, errOut bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(in), &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// The unguarded ConfigMap is written while the guarded one waits.
		for deadline := time.Now().Add(60 * time.Second); !configMapExists(t, kc, free, "later"); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the unguarded ConfigMap was not written within 60s\n%s%s", out.String(), errOut.String())
			}
		}
		if configMapExists(t, kc, guarded, "later") {
			t.Fatalf("the guarded ConfigMap was written before its webhook was up")
		}
		time.Sleep(2 * time.Second) // kapply tries again meanwhile
		serveWebhook(t, addr, cert)
		select {
		case <-exited:
		case <-time.After(3 * time.Minute):
			_ = cmd.Process.Kill()
			t.Fatalf("kapply did not end within 3 minutes\n%s%s", out.String(), errOut.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), "configmap/later -n guarded created\n") || !strings.Contains(errOut.String(), "configmap/later -n guarded: waiting for webhook cm.kapply.test\n") {
			t.Errorf("want the guarded ConfigMap created after waiting for webhook cm.kapply.test:\n%s%s", out.String(), errOut.String())
		}
		if !configMapExists(t, kc, guarded, "later") {
			t.Errorf("the guarded ConfigMap is not on the cluster")
		}
	})
}
