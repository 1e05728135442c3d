package cluster

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Cluster is a running local control plane.
type Cluster struct {
	Dir        string
	Kubeconfig string
	State      *State

	opts Options
}

// Up starts a cluster in opts.Dir and returns once the API server is ready
// and, with nodes, every node is Ready. On failure whatever did start is
// stopped and the error carries the last lines of the failing component's
// log.
func Up(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	bin, err := opts.binary()
	if err != nil {
		return nil, fmt.Errorf("find the devcluster binary: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("devcluster binary: %w (run `make devcluster`)", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if s, err := LoadState(dir); err == nil {
		for _, c := range s.Components {
			if c.running() {
				return nil, fmt.Errorf("a cluster is already running in %s (%s, pid %d): run `devcluster down --dir %s` first", dir, c.Name, c.PID, dir)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	c := &Cluster{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), State: &State{}, opts: opts}
	c.State.Kubeconfig = c.Kubeconfig
	defer func() {
		if err != nil {
			if stopErr := c.stopAll(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
		}
	}()
	for _, sub := range []string{"logs", "certs", "etcd"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	secrets, err := writeCredentials(dir)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	c.State.Ports = Ports{EtcdClient: ports[0], EtcdPeer: ports[1], APIServer: ports[2]}
	if !opts.Minimal {
		c.State.Ports.Kwok = ports[3]
	}

	start := time.Now()
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(c.State.Ports.EtcdClient)
	if err := c.start(bin, "etcd", etcdArgs(dir, c.State.Ports)); err != nil {
		return nil, err
	}
	if err := c.waitFor(ctx, "etcd health", func() bool { return httpOK(http.DefaultClient, etcdURL+"/health", "") }); err != nil {
		return nil, err
	}
	opts.logf("etcd healthy on %s (%s)", etcdURL, time.Since(start).Round(time.Millisecond))

	if err := c.start(bin, "kube-apiserver", apiserverArgs(dir, etcdURL, c.State.Ports.APIServer)); err != nil {
		return nil, err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(c.State.Ports.APIServer)
	caFile := filepath.Join(dir, "certs", "apiserver.crt")
	var client *http.Client
	if err := c.waitFor(ctx, "kube-apiserver /readyz", func() bool {
		if client == nil {
			client, _ = caClient(caFile) // the cert appears a moment after start
			if client == nil {
				return false
			}
		}
		return httpOK(client, server+"/readyz", secrets.admin)
	}); err != nil {
		return nil, err
	}
	opts.logf("kube-apiserver ready on %s (%s)", server, time.Since(start).Round(time.Millisecond))

	if err := writeKubeconfig(c.Kubeconfig, server, caFile, secrets); err != nil {
		return nil, err
	}
	cs, err := clientsetFor(c.Kubeconfig, AdminContext)
	if err != nil {
		return nil, err
	}
	if err := setupRestrictedUser(ctx, cs); err != nil {
		return nil, err
	}
	if opts.Minimal {
		return c, c.State.save(dir)
	}

	stages, err := writeKwokStages(dir)
	if err != nil {
		return nil, err
	}
	kcArgs := []string{"--kubeconfig=" + c.Kubeconfig, "--authentication-kubeconfig=" + c.Kubeconfig, "--authorization-kubeconfig=" + c.Kubeconfig, "--leader-elect=false", "--secure-port=0"}
	if err := c.start(bin, "kube-controller-manager", append(kcArgs,
		"--controllers=*",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file="+filepath.Join(dir, "sa.key"),
		"--root-ca-file="+caFile,
		"--service-cluster-ip-range="+ServiceCIDR,
		// kwok renews the fake nodes' leases; on a loaded 2-core machine
		// it can miss the default 50 s, and a NotReady node turns every
		// Pod on it NotReady: Deployments under test stop being
		// available. Nothing here tests node failure.
		"--node-monitor-grace-period="+nodeMonitorGracePeriod.String(),
	)); err != nil {
		return nil, err
	}
	if err := c.start(bin, "kube-scheduler", kcArgs); err != nil {
		return nil, err
	}
	kwokAddr := "127.0.0.1:" + strconv.Itoa(c.State.Ports.Kwok)
	if err := c.start(bin, "kwok", []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--config=" + stages,
		"--manage-all-nodes=true",
		"--cidr=" + PodCIDR,
		"--node-ip=" + NodeIP,
		"--node-port=" + strconv.Itoa(c.State.Ports.Kwok),
		"--server-address=" + kwokAddr,
	}); err != nil {
		return nil, err
	}
	if err := createNodes(ctx, cs, opts.Nodes); err != nil {
		return nil, err
	}
	if err := c.waitFor(ctx, fmt.Sprintf("%d node(s) Ready", opts.Nodes), func() bool { return nodesReady(ctx, cs, opts.Nodes) }); err != nil {
		return nil, err
	}
	if err := c.waitFor(ctx, "the default ServiceAccount", func() bool { return defaultServiceAccount(ctx, cs) }); err != nil {
		return nil, err
	}
	opts.logf("%d kwok node(s) ready (%s)", opts.Nodes, time.Since(start).Round(time.Millisecond))
	return c, c.State.save(dir)
}

// nodeMonitorGracePeriod is how long a fake node may go without a
// heartbeat before the node controller calls it NotReady.
const nodeMonitorGracePeriod = 5 * time.Minute

func (c *Cluster) start(bin, name string, args []string) error {
	comp, err := startComponent(bin, c.Dir, name, args)
	if err != nil {
		return err
	}
	c.State.Components = append(c.State.Components, comp)
	// Saved after every start, so that a `down` after a crash of this
	// process still finds everything it must stop.
	return c.State.save(c.Dir)
}

// waitFor polls ready until it is true, a component exits or ctx ends.
func (c *Cluster) waitFor(ctx context.Context, what string, ready func() bool) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, comp := range c.State.Components {
			if !comp.running() {
				return comp.exitError()
			}
		}
		if ready() {
			return nil
		}
		select {
		case <-ctx.Done():
			var logs string
			for _, comp := range c.State.Components {
				logs += fmt.Sprintf("\nlast lines of %s:\n%s", comp.Log, tail(comp.Log, 10))
			}
			return fmt.Errorf("waiting for %s: %w%s", what, ctx.Err(), logs)
		case <-tick.C:
		}
	}
}

func etcdArgs(dir string, p Ports) []string {
	client := "http://127.0.0.1:" + strconv.Itoa(p.EtcdClient)
	peer := "http://127.0.0.1:" + strconv.Itoa(p.EtcdPeer)
	return []string{
		"--name=devcluster",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=devcluster=" + peer,
		"--log-level=warn",
		// Test clusters are thrown away; fsync on every write only slows
		// them down.
		"--unsafe-no-fsync",
	}
}

func apiserverArgs(dir, etcdURL string, port int) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=" + AdvertiseAddress,
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + filepath.Join(dir, "sa.key"),
		"--service-account-signing-key-file=" + filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--enable-aggregator-routing=true",
		"--allow-privileged=true",
		// The endpoint reconciler refuses a loopback advertise address; no
		// pod needs the kubernetes Service's endpoints here.
		"--endpoint-reconciler-type=none",
	}
}

type credentials struct {
	admin      string
	restricted string
}

func writeCredentials(dir string) (credentials, error) {
	creds := credentials{admin: randomToken(), restricted: randomToken()}
	tokens := fmt.Sprintf("%s,admin,admin,system:masters\n%s,%s,%s\n", creds.admin, creds.restricted, RestrictedUser, RestrictedUser)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return creds, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return creds, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return creds, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return creds, os.WriteFile(filepath.Join(dir, "sa.key"), keyPEM, 0o600)
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePorts asks the kernel for n free loopback ports. They are held open
// together so that the n are distinct, then released for the components.
func freePorts(n int) ([]int, error) {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func caClient(caFile string) (*http.Client, error) {
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}, nil
}

func httpOK(client *http.Client, url, token string) bool {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := *client
	c.Timeout = 2 * time.Second
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}
