package cluster

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Loopback-only network settings. kube-apiserver dials webhook Services by
// their ClusterIP; keeping every range on 127.0.0.0/8 makes such calls fail
// fast with "connection refused" instead of leaving the machine.
const (
	ServiceCIDR      = "127.96.0.0/16"
	PodCIDR          = "127.2.0.0/16"
	NodeIP           = "127.1.0.1"
	AdvertiseAddress = "127.0.0.1"
)

// Names of the kubeconfig contexts written by Up.
const (
	AdminContext      = "devcluster"
	RestrictedContext = "devcluster-restricted"
	// RestrictedNamespace is the only namespace the restricted user may touch.
	RestrictedNamespace = "restricted"
	// RestrictedUser is the user name of the restricted token.
	RestrictedUser = "restricted"
	// KubeconfigMarker names the extension Up writes into the cluster
	// entry of its kubeconfig. kapply's end-to-end tests refuse to run
	// against a kubeconfig whose cluster lacks it, so that they never
	// create namespaces, CRDs and webhooks on a real cluster.
	KubeconfigMarker = "devcluster.kapply.dev"
)

// Options configures a cluster started by Up.
type Options struct {
	// Dir holds the cluster's data, logs, state and kubeconfig.
	Dir string
	// Binary is the multi-call devcluster binary whose subcommands are the
	// components. Empty means the running executable.
	Binary string
	// Minimal starts etcd and kube-apiserver only.
	Minimal bool
	// Nodes is the number of kwok fake nodes (ignored when Minimal).
	Nodes int
	// Timeout bounds the whole start-up.
	Timeout time.Duration
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

// DefaultOptions returns options for a full cluster with one node.
func DefaultOptions(dir string) Options {
	return Options{Dir: dir, Nodes: 1, Timeout: 2 * time.Minute}
}

// Validate reports options that cannot start a cluster.
func (o *Options) Validate() error {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("a data directory is required"))
	}
	if o.Nodes < 0 {
		errs = append(errs, fmt.Errorf("nodes must be 0 or more, got %d", o.Nodes))
	}
	if o.Minimal && o.Nodes > 0 {
		errs = append(errs, errors.New("--minimal runs no kwok, so it cannot have nodes: use --nodes 0"))
	}
	if o.Timeout <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	return errors.Join(errs...)
}

func (o *Options) binary() (string, error) {
	if o.Binary != "" {
		return o.Binary, nil
	}
	return os.Executable()
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(format, args...)
	}
}
