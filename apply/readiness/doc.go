// Package readiness computes how far a live object is from ready: a pure
// function of the object (Compute), with no I/O and no clock, in the
// spirit of sigs.k8s.io/cli-utils' kstatus. Reading and watching objects
// to feed it lives in package watcher.
package readiness
