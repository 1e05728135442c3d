//go:build bench

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/internal/testcluster"
)

// realBundle is one bundle of the real-bundles table (issue 19): files as
// their projects publish them. Objects that name no namespace go to
// "default", which every cluster has.
type realBundle struct {
	name  string
	files []string // relative to the repository root
}

// repoRoot is the repository root, from this package's directory.
const repoRoot = "../.."

// realBundles are the corpus's bundles of more than one object that a
// minimal cluster accepts as they are (05-ingress's bare Pods need the
// default ServiceAccount, and cluster-issuer.yaml alone is one custom
// resource), and Argo CD's install.yaml: large CRDs and none of their
// custom resources.
var realBundles = []realBundle{
	{"guestbook", []string{"testdata/corpus/01-guestbook/guestbook-all-in-one.yaml"}},
	{"podinfo", []string{"testdata/corpus/02-podinfo/deployment.yaml", "testdata/corpus/02-podinfo/service.yaml", "testdata/corpus/02-podinfo/hpa.yaml"}},
	{"ingress-nginx", []string{"testdata/corpus/03-ingress-nginx/deploy.yaml"}},
	{"contour-gateway", []string{"testdata/corpus/04-crds-and-crs/contour-gateway.yaml"}},
	{"cert-manager", []string{"testdata/corpus/04-crds-and-crs/cert-manager.yaml"}},
	{"argo-cd", []string{"testdata/bundles/argo-cd/install.yaml"}},
}

// realRun is one tool's first apply and no-op re-apply of one bundle, on
// a cluster of its own.
type realRun struct {
	first, noop time.Duration
	// firstErr: the first apply's exit status and the end of its output,
	// when it failed.
	firstErr string
	// established: from the start of the first apply until every CRD of
	// the bundle was established (the command's time, then the bench's
	// own wait after it, if any).
	established time.Duration
	// crdWait, crdWaitAlone: kapply's own figures (crdWaitSeconds and
	// crdWaitAloneSeconds in -o json).
	crdWait, crdWaitAlone time.Duration
	// noopActions: kapply's summary of the re-apply.
	noopActions map[string]int
	// present: the bundle's objects on the cluster after the first apply.
	present []string
}

// realResult is one bundle's runs, kapply's and kubectl's in the order
// they ran.
type realResult struct {
	bundle          realBundle
	objects, crds   int
	names           []string // every object of the bundle
	kapply, kubectl []*realRun
}

// runRealBundles measures every real bundle, runs times per tool: each
// first apply on a fresh minimal cluster, kapply and kubectl alternating
// which goes first, each with an empty discovery cache (as on any new
// cluster), then a no-op re-apply on the same cluster.
func runRealBundles(t *testing.T, runs int) []*realResult {
	kapplyBin, devclusterBin := testcluster.KapplyBin(t), testcluster.DevclusterBin(t)
	dir := t.TempDir()
	var out []*realResult
	only := os.Getenv("BENCH_REAL_BUNDLES")
	for _, rb := range realBundles {
		if only != "" && !slices.Contains(strings.Split(only, ","), rb.name) {
			continue
		}
		res := &realResult{bundle: rb}
		var fileArgs []string
		for _, f := range rb.files {
			path := filepath.Join(repoRoot, f)
			for _, o := range decodeFile(t, path) {
				res.names = append(res.names, objectKey(o.Obj.GroupVersionKind().Group, o.Obj.GetKind(), o.Obj.GetNamespace(), o.Obj.GetName()))
				if o.Obj.GetKind() == "CustomResourceDefinition" {
					res.crds++
				}
			}
			fileArgs = append(fileArgs, "-f", path)
		}
		res.objects = len(res.names)
		for i := range runs {
			tools := []string{"kapply", "kubectl"}
			if i%2 == 1 {
				slices.Reverse(tools)
			}
			for _, tool := range tools {
				clusterDir := filepath.Join(dir, fmt.Sprintf("%s-%s-%d", rb.name, tool, i))
				kc := startCluster(t, devclusterBin, clusterDir)
				cache := filepath.Join(clusterDir, "cache")
				var argv []string
				if tool == "kapply" {
					argv = append([]string{kapplyBin, "apply", "-o", "json", "--kubeconfig", kc, "--cache-dir", cache}, fileArgs...)
				} else {
					argv = append([]string{devclusterBin, "kubectl", "apply", "--server-side", "--kubeconfig", kc, "--cache-dir", cache}, fileArgs...)
				}
				run := &realRun{}
				d, stdout, err := runTimed(argv)
				run.first = d
				if err != nil {
					run.firstErr = fmt.Sprintf("%v\n%s", err, stdout)
				}
				if tool == "kapply" {
					if err != nil {
						t.Fatalf("%s: kapply's first apply: %s", rb.name, tail(run.firstErr))
					}
					sum := kapplySummary(t, stdout)
					run.crdWait = time.Duration(sum.CRDWaitSeconds * float64(time.Second))
					run.crdWaitAlone = time.Duration(sum.CRDWaitAloneSeconds * float64(time.Second))
				}
				run.established = run.first + waitEstablished(t, kc, rb)
				run.present = presentObjects(t, kc, rb)
				d, stdout, err = runTimed(argv)
				if err != nil {
					t.Fatalf("%s: %s no-op re-apply: %v\n%s", rb.name, tool, err, tail(stdout))
				}
				run.noop = d
				if tool == "kapply" {
					run.noopActions = kapplySummary(t, stdout).Actions
				}
				stopCluster(t, devclusterBin, clusterDir)
				if tool == "kapply" {
					res.kapply = append(res.kapply, run)
				} else {
					res.kubectl = append(res.kubectl, run)
				}
				t.Logf("%s, run %d, %s: first %.2fs (CRDs established at %.2fs), no-op %.2fs, CRD wait %.2fs (alone %.2fs), %d of %d objects present",
					rb.name, i+1, tool, run.first.Seconds(), run.established.Seconds(), run.noop.Seconds(), run.crdWait.Seconds(), run.crdWaitAlone.Seconds(), len(run.present), res.objects)
			}
		}
		out = append(out, res)
	}
	return out
}

// runTimed runs argv and returns its wall time and stdout; a failure is
// returned, not fatal: kubectl fails on a bundle with CRDs and their
// custom resources.
func runTimed(argv []string) (time.Duration, string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, stdout.String() + stderr.String(), err
	}
	return d, stdout.String(), nil
}

// establishedBound bounds the bench's wait for a bundle's CRDs.
const establishedBound = 3 * time.Minute

// waitEstablished waits until every CRD of the bundle is established, and
// returns how long that took: a tool that returns before the API server
// has established them leaves that work to whatever runs next, here the
// no-op re-apply, which is measured on a settled cluster.
func waitEstablished(t *testing.T, kubeconfig string, rb realBundle) time.Duration {
	t.Helper()
	start := time.Now()
	var names []string
	for _, f := range rb.files {
		for _, o := range decodeFile(t, filepath.Join(repoRoot, f)) {
			if o.Obj.GetKind() == "CustomResourceDefinition" {
				names = append(names, o.Obj.GetName())
			}
		}
	}
	if len(names) == 0 {
		return 0
	}
	dyn := testcluster.Dynamic(t, kubeconfig)
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	ctx, cancel := context.WithTimeout(context.Background(), establishedBound)
	defer cancel()
	for _, name := range names {
		// A watch, not a poll: reading a 1.4 MB CRD again and again would
		// slow down the API server that is establishing it.
		w, err := crds.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			t.Fatalf("watch CRD %s: %v", name, err)
		}
		for done := false; !done; {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					t.Fatalf("the watch of CRD %s ended before it was established", name)
				}
				u, isObj := ev.Object.(*unstructured.Unstructured)
				done = isObj && crdEstablished(u)
			case <-ctx.Done():
				t.Fatalf("CRD %s not established %s after the first apply", name, establishedBound)
			}
		}
		w.Stop()
	}
	return time.Since(start)
}

func crdEstablished(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if cm["type"] == "Established" && cm["status"] == "True" {
			return true
		}
	}
	return false
}

// startCluster starts a fresh minimal cluster in dir and returns its
// kubeconfig.
func startCluster(t *testing.T, bin, dir string) string {
	t.Helper()
	if out, err := exec.Command(bin, "up", "--minimal", "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("devcluster up: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "state.json")); err == nil {
			_ = exec.Command(bin, "down", "--dir", dir).Run()
		}
	})
	kc := filepath.Join(dir, "kubeconfig")
	if err := testcluster.CheckLocal(kc); err != nil {
		t.Fatal(err)
	}
	return kc
}

func stopCluster(t *testing.T, bin, dir string) {
	t.Helper()
	if out, err := exec.Command(bin, "down", "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("devcluster down: %v\n%s", err, out)
	}
}

// summary is the part of kapply's -o json summary line the table uses.
type summary struct {
	Actions             map[string]int `json:"actions"`
	CRDWaitSeconds      float64        `json:"crdWaitSeconds"`
	CRDWaitAloneSeconds float64        `json:"crdWaitAloneSeconds"`
}

func kapplySummary(t *testing.T, stdout string) summary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil || s.Actions == nil {
		t.Fatalf("no summary line in kapply's output (%v):\n%s", err, tail(stdout))
	}
	return s
}

func objectKey(group, kind, namespace, name string) string {
	gk := kind
	if group != "" {
		gk += "." + group
	}
	if namespace == "" {
		return gk + "/" + name
	}
	return gk + "/" + namespace + "/" + name
}

// presentObjects reads back which of the bundle's objects are on the
// cluster, with discovery made afresh (after the apply's CRDs).
func presentObjects(t *testing.T, kubeconfig string, rb realBundle) []string {
	t.Helper()
	cfg, err := dynamicx.LoadConfig(dynamicx.ConfigOptions{Kubeconfig: kubeconfig, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := dynamicx.NewClients(cfg, dynamicx.DiscoveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var present []string
	for _, f := range rb.files {
		for _, o := range decodeFile(t, filepath.Join(repoRoot, f)) {
			res, err := dynamicx.Resolve(context.Background(), clients.Mapper, cfg, o.Obj)
			if meta.IsNoMatchError(err) {
				continue // its CRD is not there
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = clients.Metadata.Resource(res.GVR).Namespace(res.Ref.Namespace).Get(context.Background(), res.Ref.Name, metav1.GetOptions{})
			switch {
			case err == nil:
				present = append(present, objectKey(res.Ref.Group, res.Ref.Kind, o.Obj.GetNamespace(), res.Ref.Name))
			case apierrors.IsNotFound(err):
			default:
				t.Fatalf("read %s back: %v", res.Ref, err)
			}
		}
	}
	slices.Sort(present)
	return present
}

// TestBenchRealBundles is the real-bundles table of `make bench` alone
// (BENCH_RUNS runs per tool, default 3). It needs no cluster of its own:
// each first apply has a fresh one.
//
//	KAPPLY_BIN=$PWD/bin/kapply DEVCLUSTER_BIN=$PWD/bin/devcluster \
//	    go test -tags bench -count=1 -run TestBenchRealBundles -v -timeout 30m ./e2e/bench/
func TestBenchRealBundles(t *testing.T) {
	runs := envInts(t, "BENCH_RUNS", []int{3})[0]
	var report strings.Builder
	writeRealBundles(&report, runRealBundles(t, runs), runs)
	t.Log("\n" + report.String())
	if out := os.Getenv("BENCH_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
