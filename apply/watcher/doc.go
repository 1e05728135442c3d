// Package watcher reads live objects and reports their readiness, as
// package readiness computes it: Wait watches targets (one list+watch per
// resource and namespace) until every one is ready, one fails, or the
// timeout passes; Check reads each target once. It only reads.
package watcher
