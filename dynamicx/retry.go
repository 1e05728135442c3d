package dynamicx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// RetryOptions is the policy for requests that failed transiently: a
// connection lost, 429 Too Many Requests, or a 500, 502, 503 or 504. The
// zero value retries nothing.
type RetryOptions struct {
	// MaxAttempts bounds the tries of one request, the first included; 0
	// or 1 means no retry.
	MaxAttempts int
	// BaseDelay is the wait before the first retry; it doubles with each
	// retry up to MaxDelay, and each wait is jittered down to half.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// DefaultRetryOptions tries a request up to 5 times, waiting about 0.2 s,
// 0.4 s, 0.8 s and 1.6 s in between: enough to ride out an API server
// restart or a burst of throttling, short enough to report a persistent
// failure within seconds.
func DefaultRetryOptions() RetryOptions {
	return RetryOptions{MaxAttempts: 5, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second}
}

// Validate reports a policy that cannot be used.
func (o *RetryOptions) Validate() error {
	var errs []error
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("retry attempts must not be negative, got %d", o.MaxAttempts))
	}
	if o.BaseDelay < 0 || o.MaxDelay < 0 {
		errs = append(errs, errors.New("retry delays must not be negative"))
	}
	if o.MaxDelay < o.BaseDelay {
		errs = append(errs, fmt.Errorf("the maximum retry delay %s is shorter than the base delay %s", o.MaxDelay, o.BaseDelay))
	}
	return errors.Join(errs...)
}

// Delay returns the wait before retry n (1 for the first retry) after err:
// BaseDelay doubled n-1 times, capped at MaxDelay, jittered to between half
// and all of that, and never shorter than the Retry-After the server sent.
func (o RetryOptions) Delay(n int, err error) time.Duration {
	d := o.MaxDelay
	if n >= 1 && n <= 32 {
		if exp := o.BaseDelay << (n - 1); exp > 0 && exp < d {
			d = exp
		}
	}
	d = d/2 + rand.N(d/2+1)
	if s, ok := apierrors.SuggestsClientDelay(err); ok && time.Duration(s)*time.Second > d {
		d = time.Duration(s) * time.Second
	}
	return d
}

// Sleep waits d, or until ctx ends; it reports whether the whole wait
// passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// IsTransient reports whether err may go away when the request is sent
// again: a lost connection, a timeout, 429, or a 500, 502, 503 or 504.
// Validation errors, conflicts, denials and a cancelled context are not.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if permanentInternalError(status.Status().Message) {
			return false
		}
		return transientStatus(int(status.Status().Code)) ||
			apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err)
	}
	if isConnectionLost(err) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// RetriedByClient reports whether client-go has already retried err itself:
// it repeats any request whose 429 or 5xx response carries Retry-After (up
// to 10 times, waiting as told), so retrying such an error again would
// multiply the attempts.
func RetriedByClient(err error) bool {
	s, ok := apierrors.SuggestsClientDelay(err)
	return ok && s > 0
}

// permanentInternalError recognises 500s that describe the request, not
// the server's state: server-side apply answers 500 "failed to create typed
// patch object" for a value of the wrong type, and no retry can fix it.
func permanentInternalError(msg string) bool {
	return strings.Contains(msg, "failed to create typed patch object") ||
		strings.Contains(msg, "failed to create typed live object")
}

func transientStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// isConnectionLost is a connection that broke before the response arrived:
// the request may or may not have been processed.
func isConnectionLost(err error) bool {
	if utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "server closed idle connection") || strings.Contains(msg, "transport connection broken")
}

// retryAfter reports whether resp carries a Retry-After header that
// client-go honours (whole seconds).
func retryAfter(resp *http.Response) bool {
	_, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	return err == nil
}
