// Package cluster starts and stops a real local Kubernetes control plane
// (etcd, kube-apiserver and, unless minimal, kube-controller-manager,
// kube-scheduler and kwok fake nodes) for kapply's demo, tests and
// benchmarks. Every component is a subcommand of one multi-call binary.
//
// Everything listens on loopback, and the service range, pod CIDR, node IP
// and advertise address are all in 127.0.0.0/8, so that the API server, which
// dials webhook and aggregated API backends itself, never sends traffic off
// the machine.
package cluster
