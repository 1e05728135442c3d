package testcluster

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"

	"k8s.io/client-go/tools/clientcmd"
)

// DevclusterMarker is the extension that devcluster writes into the
// cluster entry of its kubeconfig (devcluster/cluster.KubeconfigMarker;
// devcluster is a module of its own, so the name is repeated here).
const DevclusterMarker = "devcluster.kapply.dev"

// CheckLocal returns an error unless every cluster of the kubeconfig at
// path is a devcluster on a loopback address: the tests create
// namespaces, CRDs and webhooks, and must never do so on a real cluster
// that a developer happens to have in KUBECONFIG (issue 17).
func CheckLocal(path string) error {
	if len(filepath.SplitList(path)) != 1 {
		return fmt.Errorf("KUBECONFIG %q names several files: the e2e tests take the one kubeconfig of a local devcluster", path)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return fmt.Errorf("load KUBECONFIG: %w", err)
	}
	if len(cfg.Clusters) == 0 {
		return fmt.Errorf("KUBECONFIG %s has no cluster", path)
	}
	names := make([]string, 0, len(cfg.Clusters))
	for name := range cfg.Clusters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cfg.Clusters[name]
		u, err := url.Parse(c.Server)
		if err != nil {
			return fmt.Errorf("KUBECONFIG %s: cluster %q: server %q: %w", path, name, c.Server, err)
		}
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("KUBECONFIG %s: cluster %q is at %s, not a loopback address: the e2e tests run only against a local devcluster (make test, or devcluster up)", path, name, c.Server)
		}
		if _, ok := c.Extensions[DevclusterMarker]; !ok {
			return fmt.Errorf("KUBECONFIG %s: cluster %q carries no %s extension, so it was not made by devcluster: the e2e tests run only against a local devcluster (make test, or devcluster up)", path, name, DevclusterMarker)
		}
	}
	return nil
}
