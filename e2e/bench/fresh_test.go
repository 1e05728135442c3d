//go:build bench

package bench

import (
	"fmt"
	"path/filepath"
	"slices"

	"k8s.io/client-go/rest"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/internal/bundlegen"
)

// A first apply is measured on a minimal cluster of its own, never on one
// that earlier runs filled (issue 16). The API server allocates each
// Service's ClusterIP at a cost that grows with the Services already on
// the cluster: every allocation lists every IPAddress object, twice, to
// update two gauges (createIPAddress calling Used and Free, in
// pkg/registry/core/service/ipallocator of Kubernetes 1.37). Measured on
// one minimal cluster (issue 16), the API server allocated about 320
// ClusterIPs a second with 500 to 1,000 Services on it, 200 with 2,000 to
// 2,500, 100 with 4,500 to 5,000 and 60 to 90 with 6,000 to 7,500; the
// same kapply binary's 10,000-object first apply (2,475 Services) took
// 18.0 s, then 28.3 s, then 40.8 s, run after run, and the API server's
// CPU for it went from 22 to 35 to 49 s. A bench that ran the ceiling and
// then kapply on one cluster gave kapply 2,475 more Services to pay for in
// every round: that, not kapply, was most of the 1.3x it reported at
// 10,000.

// applyFunc applies the bundle at path to the cluster of kubeconfig and
// adds the run to m (nil: a warm-up).
type applyFunc func(m *measurement, kubeconfig, path string)

// firstApply starts a fresh minimal cluster, warms it up with apply of a
// bundle of min(n, 1,000) objects (the API server's caches and
// connections, the tool's discovery cache for the cluster's address),
// measures apply of an n-object bundle into m, and stops the cluster.
// Every tool and every run starts from the same cluster state.
func (b *bench) firstApply(m *measurement, n int, apply applyFunc) {
	b.t.Helper()
	b.fresh++
	dir := filepath.Join(b.dir, fmt.Sprintf("cluster-%d", b.fresh))
	kubeconfig := startCluster(b.t, b.devclusterBin, dir)
	defer stopCluster(b.t, b.devclusterBin, dir)
	prefix := fmt.Sprintf("f%d", b.fresh)
	apply(nil, kubeconfig, b.write(prefix+"-warm", bundlegen.Sized(prefix+"-warm", min(n, 1000)).YAML()))
	apply(m, kubeconfig, b.write(prefix, bundlegen.Sized(prefix, n).YAML()))
}

// ceilingTool is the ceiling as an applyFunc.
func (b *bench) ceilingTool() applyFunc {
	return func(m *measurement, kubeconfig, path string) { b.ceilingOn(kubeconfig, m, path) }
}

// commandTool is a command as an applyFunc: argv gives the command line
// for a kubeconfig and a bundle's path.
func (b *bench) commandTool(argv func(kubeconfig, path string) []string) applyFunc {
	return func(m *measurement, kubeconfig, path string) { b.runOn(kubeconfig, m, argv(kubeconfig, path)) }
}

// kapplyTool is `kapply apply -f` of the kapply binary bin.
func (b *bench) kapplyTool(bin string) applyFunc {
	return b.commandTool(func(kubeconfig, path string) []string {
		argv := b.kapply(kubeconfig, "apply", "-f", path)
		argv[0] = bin
		return argv
	})
}

// kubectlTool is `kubectl ARGS -f`.
func (b *bench) kubectlTool(args ...string) applyFunc {
	return b.commandTool(func(kubeconfig, path string) []string {
		return b.kubectl(kubeconfig, slices.Concat(args, []string{"-f", path})...)
	})
}

// restConfig is the client config of the cluster of kubeconfig, for
// counting its API server's requests.
func (b *bench) restConfig(kubeconfig string) *rest.Config {
	b.t.Helper()
	if cfg, ok := b.configs[kubeconfig]; ok {
		return cfg
	}
	cfg, err := dynamicx.LoadConfig(dynamicx.ConfigOptions{Kubeconfig: kubeconfig, QPS: -1})
	if err != nil {
		b.t.Fatal(err)
	}
	b.configs[kubeconfig] = cfg.REST
	return cfg.REST
}
