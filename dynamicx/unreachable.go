package dynamicx

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// UnreachableError is a request that never reached the API server: the
// connection was refused, timed out while dialling, had no route, or the
// host name did not resolve. The input is not at fault; running again once
// the server is back may work (issue 12, G).
type UnreachableError struct {
	// Host is the API server as the kubeconfig names it.
	Host string
	// Err is the cause: the dial or DNS error, without the URL of the
	// request that hit it.
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the API server %s: %v", e.Host, e.Err)
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Unreachable returns err as an *UnreachableError for host when it is a
// failure to connect, and nil otherwise.
func Unreachable(host string, err error) *UnreachableError {
	if err == nil {
		return nil
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return ue
	}
	if cause := dialFailure(err); cause != nil {
		return &UnreachableError{Host: host, Err: cause}
	}
	return nil
}

// dialFailure returns the error that kept a connection from being made at
// all, or nil: then the request may have reached the server.
func dialFailure(err error) error {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return op
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return err
	}
	return nil
}

// retryableDialFailure is a connection failure that may go away: the
// server restarting (refused), a dial timeout, no route for now, a DNS
// answer that timed out. A name that does not exist is not.
func retryableDialFailure(err error) bool {
	cause := dialFailure(err)
	if cause == nil {
		return false
	}
	var dns *net.DNSError
	if errors.As(cause, &dns) {
		return dns.IsTimeout || dns.IsTemporary
	}
	return true
}

// Unreachable returns err as an *UnreachableError naming c's API server
// when it is a failure to connect, and nil otherwise.
func (c *Config) Unreachable(err error) *UnreachableError {
	host := ""
	if c != nil && c.REST != nil {
		host = c.REST.Host
	}
	return Unreachable(host, err)
}
