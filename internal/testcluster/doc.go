// Package testcluster gives kapply's end-to-end tests and benchmarks the
// local cluster they run against: the kubeconfig of the cluster that
// `make test` starts (KUBECONFIG), fresh minimal clusters for tests that
// change cluster-wide state, the binaries under test (KAPPLY_BIN,
// DEVCLUSTER_BIN), and clients and namespaces for setting up and reading
// back the cluster's state directly, never through kapply.
//
// It is for tests only: every function takes a testing.TB and fails the
// test, never skips it, when something it needs is missing.
package testcluster
