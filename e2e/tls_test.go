//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// kubeconfigWith writes a copy of kubeconfig whose current cluster was
// changed by edit, and returns its path and the server's URL.
func kubeconfigWith(t *testing.T, kubeconfig string, edit func(*clientcmdapi.Cluster)) (path, server string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]
	edit(cluster)
	path = filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path, cluster.Server
}

// otherCA is a self-signed CA certificate that signed nothing the cluster
// uses.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the cluster's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestInsecureKubeconfigIsAppliedWithAWarning(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "tls-insecure"
	testcluster.CreateNamespace(t, kc, ns)
	insecure, server := kubeconfigWith(t, kc, func(c *clientcmdapi.Cluster) {
		c.InsecureSkipTLSVerify, c.CertificateAuthorityData, c.CertificateAuthority = true, nil, ""
	})
	code, stdout, stderr := kapplyIn(t, insecure, configMap("insecure", "", map[string]string{"k": "v"}), "apply", "-f", "-", "-n", ns)
	if code != exitOK {
		t.Errorf("exit %d, want %d\n%s", code, exitOK, stderr)
	}
	if want := "warning: TLS verification is off for " + server + " (insecure-skip-tls-verify in the kubeconfig)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if want := "configmap/insecure -n tls-insecure created\n"; !strings.HasPrefix(stdout, want) {
		t.Errorf("stdout %q, want it to start with %q", stdout, want)
	}
}

func TestWrongCAIsRefused(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "tls-wrong-ca"
	testcluster.CreateNamespace(t, kc, ns)
	wrong, _ := kubeconfigWith(t, kc, func(c *clientcmdapi.Cluster) {
		c.CertificateAuthorityData, c.CertificateAuthority = otherCA(t), ""
	})
	for _, command := range []string{"apply", "status", "diff"} {
		t.Run(command, func(t *testing.T) {
			code, stdout, stderr := kapplyIn(t, wrong, configMap("unverified", "", map[string]string{"k": "v"}), command, "-f", "-", "-n", ns)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if want := "tls: failed to verify certificate: x509: certificate signed by unknown authority"; !strings.Contains(stderr, want) {
				t.Errorf("stderr does not hold %q:\n%s", want, stderr)
			}
		})
	}
	_, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Get(context.Background(), "unverified", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("the ConfigMap: got %v, want not found", err)
	}
}
