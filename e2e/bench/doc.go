// Package bench is `make bench` (build tag bench): kapply, kubectl and the
// ceiling (plain parallel server-side apply in the test process) applying
// the same generated bundles to one local cluster, measured in one run and
// reported as markdown (README, "Benchmarks").
package bench
