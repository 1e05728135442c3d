package dynamicx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestIsTransient(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"429", apierrors.NewTooManyRequests("slow down", 0), true},
		{"500", apierrors.NewInternalError(errors.New("boom")), true},
		{"502", apierrors.NewGenericServerResponse(502, "PATCH", gr, "cm", "", 0, false), true},
		{"503", apierrors.NewServiceUnavailable("unavailable"), true},
		{"504", apierrors.NewTimeoutError("slow", 0), true},
		{"server timeout", apierrors.NewServerTimeout(gr, "patch", 1), true},
		{"409 conflict", apierrors.NewConflict(gr, "cm", errors.New("changed")), false},
		{"409 already exists", apierrors.NewAlreadyExists(gr, "cm"), false},
		{"422 invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "cm", nil), false},
		{"403 forbidden", apierrors.NewForbidden(gr, "cm", errors.New("no")), false},
		{"404", apierrors.NewNotFound(gr, "cm"), false},
		{"EOF", &url.Error{Op: "Patch", URL: "https://x", Err: io.EOF}, true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"connection reset", &url.Error{Op: "Patch", URL: "https://x", Err: syscall.ECONNRESET}, true},
		{"connection refused", &url.Error{Op: "Get", URL: "https://x", Err: syscall.ECONNREFUSED}, true},
		{"http2 connection lost", errors.New("http2: client connection lost"), true},
		{"timeout", &url.Error{Op: "Get", URL: "https://x", Err: context.DeadlineExceeded}, true},
		{"cancelled", &url.Error{Op: "Get", URL: "https://x", Err: context.Canceled}, false},
		{"certificate", &url.Error{Op: "Get", URL: "https://x", Err: errors.New("x509: certificate signed by unknown authority")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsTransient(tc.err); got != tc.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestRetriedByClient(t *testing.T) {
	if !RetriedByClient(apierrors.NewTooManyRequests("slow down", 2)) {
		t.Error("a 429 with Retry-After has been retried by client-go already")
	}
	if RetriedByClient(apierrors.NewTooManyRequests("slow down", 0)) {
		t.Error("a 429 without Retry-After has not been retried by client-go")
	}
}

func TestDelayIsCappedJitteredAndHonoursRetryAfter(t *testing.T) {
	o := RetryOptions{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		for range 50 {
			if d := o.Delay(n, nil); d < full/2 || d > full {
				t.Fatalf("Delay(%d) = %s, want within [%s, %s]", n, d, full/2, full)
			}
		}
	}
	if d := o.Delay(1, apierrors.NewTooManyRequests("slow down", 3)); d != 3*time.Second {
		t.Errorf("Delay after Retry-After: 3 = %s, want 3s", d)
	}
	if d := (RetryOptions{}).Delay(3, nil); d != 0 {
		t.Errorf("zero policy waits %s", d)
	}
}

func TestRetryOptionsValidate(t *testing.T) {
	for _, o := range []RetryOptions{{}, DefaultRetryOptions()} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for _, o := range []RetryOptions{{MaxAttempts: -1}, {BaseDelay: -1}, {BaseDelay: time.Second, MaxDelay: time.Millisecond}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// scripted answers each round trip with the next response or error.
type scripted struct {
	answers []func() (*http.Response, error)
	seen    []string
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	s.seen = append(s.seen, req.Method)
	next := s.answers[0]
	s.answers = s.answers[1:]
	return next()
}

func status(code int, retryAfter string) func() (*http.Response, error) {
	return func() (*http.Response, error) {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader("{}"))}, nil
	}
}

func failure(err error) func() (*http.Response, error) {
	return func() (*http.Response, error) { return nil, err }
}

// The transport's retry decisions are control flow: a scripted round
// tripper is enough. What the API server does is tested through the fault
// proxy (cmd/kapply/fault_e2e_test.go).
func TestRetryTransport(t *testing.T) {
	reset := &url.Error{Op: "Get", URL: "https://x", Err: syscall.ECONNRESET}
	refused := &url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	tests := []struct {
		name          string
		method        string
		url           string
		answers       []func() (*http.Response, error)
		wantStatus    int
		wantSent      int
		wantRetries   int
		wantUncertain int
	}{
		{name: "GET 503 then 200 is retried here", method: "GET", answers: []func() (*http.Response, error){status(503, ""), status(200, "")}, wantStatus: 200, wantSent: 2, wantRetries: 1},
		{name: "GET 429 until attempts run out", method: "GET", answers: []func() (*http.Response, error){status(429, ""), status(429, ""), status(429, "")}, wantStatus: 429, wantSent: 3, wantRetries: 2},
		{name: "GET 503 with Retry-After is left to client-go, and counted", method: "GET", answers: []func() (*http.Response, error){status(503, "1")}, wantStatus: 503, wantSent: 1, wantRetries: 1},
		{name: "GET connection reset is left to client-go, and counted", method: "GET", answers: []func() (*http.Response, error){failure(reset)}, wantSent: 1, wantRetries: 1},
		{name: "watch timeout is left to client-go, and counted", method: "GET", url: "https://x/api/v1/configmaps?watch=true", answers: []func() (*http.Response, error){failure(&url.Error{Op: "Get", URL: "https://x", Err: context.DeadlineExceeded})}, wantSent: 1, wantRetries: 1},
		{name: "PATCH 503 is left to the engine, outcome unknown", method: "PATCH", answers: []func() (*http.Response, error){status(503, "")}, wantStatus: 503, wantSent: 1, wantUncertain: 1},
		{name: "POST connection reset is left to the engine, outcome unknown", method: "POST", answers: []func() (*http.Response, error){failure(reset)}, wantSent: 1, wantUncertain: 1},
		{name: "POST 429 with Retry-After: client-go sends it again, not processed", method: "POST", answers: []func() (*http.Response, error){status(429, "1")}, wantStatus: 429, wantSent: 1, wantRetries: 1},
		{name: "GET connection refused is retried here", method: "GET", answers: []func() (*http.Response, error){failure(refused), failure(refused), status(200, "")}, wantStatus: 200, wantSent: 3, wantRetries: 2},
		{name: "GET connection refused until attempts run out", method: "GET", answers: []func() (*http.Response, error){failure(refused), failure(refused), failure(refused)}, wantSent: 3, wantRetries: 2},
		{name: "GET of a host that does not resolve is not retried", method: "GET", answers: []func() (*http.Response, error){failure(&url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}})}, wantSent: 1},
		{name: "POST connection refused is left to the engine, and was not sent", method: "POST", answers: []func() (*http.Response, error){failure(refused)}, wantSent: 1},
		{name: "POST 404 is an answer", method: "POST", answers: []func() (*http.Response, error){status(404, "")}, wantStatus: 404, wantSent: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &scripted{answers: tc.answers}
			total := &Traffic{}
			rt := &retryTransport{next: next, opts: RetryOptions{MaxAttempts: 3}, total: total}
			u := tc.url
			if u == "" {
				u = "https://x/api/v1/namespaces/ns/configmaps/cm"
			}
			ctx, traffic := WithTraffic(context.Background(), total)
			req, err := http.NewRequestWithContext(ctx, tc.method, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := rt.RoundTrip(req)
			got := 0
			if resp != nil {
				got = resp.StatusCode
			}
			if got != tc.wantStatus {
				t.Errorf("status %d, want %d", got, tc.wantStatus)
			}
			gotCounts := []int{traffic.Requests(), traffic.Retries(), traffic.Uncertain(tc.method), total.Requests(), total.Retries()}
			wantCounts := []int{tc.wantSent, tc.wantRetries, tc.wantUncertain, tc.wantSent, tc.wantRetries}
			if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
				t.Errorf("requests, retries, uncertain, total requests, total retries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTypedPatchFailureIsPermanent(t *testing.T) {
	// Server-side apply's answer to a value of the wrong type: a 500 that
	// no retry can fix.
	err := apierrors.NewInternalError(errors.New(`failed to create typed patch object (/v1, Kind=Secret) x: .data.k: expected string, got &value.valueUnstructured{Value:1}`))
	if IsTransient(err) {
		t.Error("a typed patch failure is retried")
	}
	if !IsTransient(apierrors.NewInternalError(errors.New("etcd leader changed"))) {
		t.Error("an ordinary internal error is not retried")
	}
}
