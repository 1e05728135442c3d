package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// devclusterBin is the multi-call binary built by `make devcluster`. These
// tests start real control planes, so they need it; they fail rather than
// skip without it, so that `make test` cannot pass vacuously.
func devclusterBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("DEVCLUSTER_BIN")
	if bin == "" {
		t.Fatal("DEVCLUSTER_BIN is not set: run these tests with `make devcluster-test`")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("DEVCLUSTER_BIN: %v", err)
	}
	return bin
}

func TestUpDownLeavesNothingRunning(t *testing.T) {
	bin := devclusterBin(t)
	dir := filepath.Join(t.TempDir(), "c")
	opts := Options{Dir: dir, Binary: bin, Minimal: true, Timeout: 2 * time.Minute, Log: t.Logf}
	start := time.Now()
	c, err := Up(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// A t.Fatal below must not leave the cluster running; after the
	// Down under test this finds nothing left to stop.
	t.Cleanup(func() {
		if _, err := os.Stat(dir); err == nil {
			if err := Down(dir); err != nil {
				t.Errorf("clean-up: %v", err)
			}
		}
	})
	t.Logf("minimal cluster up in %s", time.Since(start))
	kc, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatalf("no kubeconfig: %v", err)
	}
	for name, cl := range kc.Clusters {
		if _, ok := cl.Extensions[KubeconfigMarker]; !ok {
			t.Errorf("kubeconfig cluster %q carries no %s extension: kapply's e2e tests would refuse it", name, KubeconfigMarker)
		}
	}
	s, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Components); got != 2 {
		t.Fatalf("minimal cluster runs %d components, want 2 (etcd, kube-apiserver)", got)
	}
	ports := []int{s.Ports.EtcdClient, s.Ports.EtcdPeer, s.Ports.APIServer}
	for _, p := range ports {
		if !listening(p) {
			t.Errorf("port %d is not listening while the cluster is up", p)
		}
	}

	// Down as another process would: from the state file alone.
	if err := Down(dir); err != nil {
		t.Fatal(err)
	}
	for _, comp := range s.Components {
		probe := &Component{Name: comp.Name, PID: comp.PID}
		if probe.running() {
			t.Errorf("%s (pid %d) still running after down", comp.Name, comp.PID)
		}
	}
	for _, p := range ports {
		if listening(p) {
			t.Errorf("port %d still listening after down", p)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data dir left behind: %v", err)
	}
}

func TestUpReportsComponentFailureAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-devcluster")
	// A "component" that logs a reason and exits, as a component with a
	// taken port or a bad flag does.
	script := "#!/bin/sh\necho \"$1: bind: address already in use\" >&2\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Up(t.Context(), Options{Dir: filepath.Join(dir, "c"), Binary: fake, Minimal: true, Timeout: 30 * time.Second})
	if err == nil {
		t.Fatal("Up succeeded with a component that exits")
	}
	for _, want := range []string{"etcd exited during start-up", "etcd: bind: address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	_, err = Up(t.Context(), Options{Dir: filepath.Join(dir, "d"), Binary: filepath.Join(dir, "missing"), Minimal: true, Timeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "make devcluster") {
		t.Errorf("missing binary: got %v, want an error that says to run make devcluster", err)
	}
}

// A component that fails after another one started: Up stops what did
// start, so no process and no port is left behind.
func TestUpStopsWhatStartedWhenALaterComponentFails(t *testing.T) {
	bin := devclusterBin(t)
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-devcluster")
	// etcd is the real one (exec keeps the pid the script records); the
	// API server fails at once.
	script := fmt.Sprintf(`#!/bin/sh
case "$1" in
etcd)
  echo $$ > '%[1]s/etcd.pid'
  echo "$@" > '%[1]s/etcd.args'
  exec '%[2]s' "$@" ;;
*)
  echo "$1: bind: address already in use" >&2
  exit 1 ;;
esac
`, dir, bin)
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Up(t.Context(), Options{Dir: filepath.Join(dir, "c"), Binary: fake, Minimal: true, Timeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "kube-apiserver exited during start-up") {
		t.Fatalf("Up: %v, want the API server's failure", err)
	}
	pidText, err := os.ReadFile(filepath.Join(dir, "etcd.pid"))
	if err != nil {
		t.Fatalf("etcd never started: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if err != nil {
		t.Fatal(err)
	}
	if (&Component{Name: "etcd", PID: pid}).running() {
		t.Errorf("etcd (pid %d) still running after Up failed", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	args, err := os.ReadFile(filepath.Join(dir, "etcd.args"))
	if err != nil {
		t.Fatal(err)
	}
	ports := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindAllStringSubmatch(string(args), -1)
	if len(ports) == 0 {
		t.Fatalf("no port in etcd's arguments %q", args)
	}
	for _, m := range ports {
		p, _ := strconv.Atoi(m[1])
		if listening(p) {
			t.Errorf("port %d (etcd) still listening after Up failed", p)
		}
	}
}

func TestRunPropagatesExitCodeAndTearsDown(t *testing.T) {
	bin := devclusterBin(t)
	dirFile := filepath.Join(t.TempDir(), "dir")
	// The command proves the kubeconfig works (kubectl reaches the API
	// server), records the cluster dir and exits with a distinctive code.
	script := `"$0" kubectl get namespace default -o name && echo "$DEVCLUSTER_DIR" > "$1" && exit 7`
	cmd := exec.Command(bin, "run", "--minimal", "--", "sh", "-c", script, bin, dirFile)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 7 {
		t.Fatalf("devcluster run: %v, want exit status 7; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "namespace/default") {
		t.Errorf("kubectl inside run did not reach the cluster; output:\n%s", out)
	}
	clusterDir, err := os.ReadFile(dirFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimSpace(string(clusterDir))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster dir %s left behind after run: %v", clusterDir, err)
	}
}

func TestDeploymentBecomesAvailableOnKwokNode(t *testing.T) {
	bin := devclusterBin(t)
	opts := Options{Dir: filepath.Join(t.TempDir(), "c"), Binary: bin, Nodes: 1, Timeout: 3 * time.Minute, Log: t.Logf}
	start := time.Now()
	c, err := Up(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster with 1 node up in %s", time.Since(start))
	t.Cleanup(func() {
		if err := c.Down(); err != nil {
			t.Error(err)
		}
	})
	cs, err := clientsetFor(c.Kubeconfig, AdminContext)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		got, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.AvailableReplicas == 2 && available(got) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deployment not available: %+v", got.Status)
		case <-time.After(200 * time.Millisecond):
		}
	}
	pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	_, podNet, _ := net.ParseCIDR(PodCIDR)
	for _, p := range pods.Items {
		if p.Spec.NodeName != NodeName(0) {
			t.Errorf("pod %s on node %q, want %s", p.Name, p.Spec.NodeName, NodeName(0))
		}
		if ip := net.ParseIP(p.Status.PodIP); ip == nil || !podNet.Contains(ip) || !ip.IsLoopback() {
			t.Errorf("pod %s has IP %q, want a loopback address in %s", p.Name, p.Status.PodIP, PodCIDR)
		}
	}
	nodeSurvivesAStalledKwok(t, c, cs)
}

// nodeSurvivesAStalledKwok stops kwok (the fake kubelet) for longer than
// the node controller's default grace period, as a loaded machine can
// starve it: the node must stay Ready and the Deployment available.
func nodeSurvivesAStalledKwok(t *testing.T, c *Cluster, cs *kubernetes.Clientset) {
	t.Helper()
	var kwok *Component
	for _, comp := range c.State.Components {
		if comp.Name == "kwok" {
			kwok = &Component{Name: comp.Name, PID: comp.PID}
		}
	}
	if kwok == nil {
		t.Fatal("no kwok component in the cluster's state")
	}
	if err := syscall.Kill(kwok.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(kwok.PID, syscall.SIGCONT) }()
	const stalled = 65 * time.Second // the default grace period is 50 s
	ctx, cancel := context.WithTimeout(t.Context(), stalled+time.Minute)
	defer cancel()
	for end := time.Now().Add(stalled); time.Now().Before(end); time.Sleep(time.Second) {
		node, err := cs.CoreV1().Nodes().Get(ctx, NodeName(0), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status != corev1.ConditionTrue {
				t.Fatalf("node %s went %s (%s) while kwok was stopped: pods on it turn NotReady", node.Name, cond.Status, cond.Reason)
			}
		}
	}
	got, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.AvailableReplicas != 2 {
		t.Errorf("after kwok stalled for %s: %d of 2 replicas available", stalled, got.Status.AvailableReplicas)
	}
}

func available(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func listening(port int) bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
