// Package e2e holds kapply's end-to-end tests (build tag e2e): each runs the
// built kapply binary (KAPPLY_BIN) against a real local cluster (KUBECONFIG,
// started by `make test` with devcluster) and checks its exit code, its
// output and, read back directly, the cluster's state. The harness they
// share with the benchmarks (cluster access, the fault proxy, the bundle
// generator) lives in internal/testcluster, internal/faultproxy and
// internal/bundlegen; the benchmarks are in e2e/bench.
package e2e
