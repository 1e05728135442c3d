// Package faultproxy is a TLS reverse proxy on loopback, put between kapply
// and a test cluster's API server, that injects faults into the requests
// it picks (error statuses, resets, lost responses, latency, watches that
// end early) and logs every request: which were faulted, which reached the
// API server and what it answered. Tests use the log to prove what kapply
// sent, beyond what kapply reports.
package faultproxy
