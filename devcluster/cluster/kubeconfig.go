package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

// writeKubeconfig writes a kubeconfig with two contexts: AdminContext (the
// current one, system:masters) and RestrictedContext (a user allowed in
// RestrictedNamespace only, for RBAC tests). The CA is the API server's own
// self-signed serving certificate, embedded, so TLS is verified. The
// cluster entry carries the KubeconfigMarker extension.
func writeKubeconfig(path, server, caFile string, creds credentials) error {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	marker := &runtime.Unknown{Raw: []byte(`{"madeBy":"devcluster up","purpose":"a throwaway local cluster on loopback"}`)}
	cfg.Clusters["devcluster"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca,
		Extensions: map[string]runtime.Object{KubeconfigMarker: marker}}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: creds.admin}
	cfg.AuthInfos[RestrictedUser] = &clientcmdapi.AuthInfo{Token: creds.restricted}
	cfg.Contexts[AdminContext] = &clientcmdapi.Context{Cluster: "devcluster", AuthInfo: "admin", Namespace: "default"}
	cfg.Contexts[RestrictedContext] = &clientcmdapi.Context{Cluster: "devcluster", AuthInfo: RestrictedUser, Namespace: RestrictedNamespace}
	cfg.CurrentContext = AdminContext
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return os.Chmod(path, 0o600)
}

func clientsetFor(kubeconfig, context string) (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context},
	).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = -1, 0 // no client-side throttling in set-up
	return kubernetes.NewForConfig(cfg)
}

// writeKwokStages writes the stage definitions kwok needs to act as the
// kubelet of its fake nodes: nodes become Ready and keep a lease, pods become
// Ready, complete (Jobs) and get deleted.
func writeKwokStages(dir string) (string, error) {
	path := filepath.Join(dir, "kwok-stages.yaml")
	stages := []string{
		nodefast.DefaultNodeInit,
		nodelease.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady,
		podfast.DefaultPodComplete,
		podfast.DefaultPodDelete,
	}
	return path, os.WriteFile(path, []byte(strings.Join(stages, "\n---\n")), 0o600)
}
