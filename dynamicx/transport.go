package dynamicx

import (
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// retryTransport sits under client-go and retries reads: a GET (an object,
// a list, discovery, the start of a watch) answered 429 or 5xx without
// Retry-After, or that could not connect, is sent again with the policy's
// backoff. What client-go
// retries itself is left to it (a response with Retry-After, a GET whose
// connection broke), so that no failure is retried by two layers; writes
// are left to the engine, which knows which ones are safe to repeat.
//
// It also counts requests and retries, into the request context's Traffic
// (see WithTraffic) or else the Config's, and notes writes whose outcome
// is unknown.
type retryTransport struct {
	next  http.RoundTripper
	opts  RetryOptions
	total *Traffic
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	traffic := TrafficFrom(req.Context())
	if traffic == nil {
		traffic = t.total
	}
	for attempt := 1; ; attempt++ {
		// net/http itself sends a GET again when a reused connection broke
		// before the response; each try takes a connection.
		var conns atomic.Int64
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { conns.Add(1) }}
		resp, err := t.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
		sent := max(int(conns.Load()), 1)
		retries, uncertain := sent-1, ""
		if clientRetries(req, resp, err) {
			retries++
		}
		// A request that could not connect was not sent: its outcome is known.
		if req.Method != http.MethodGet && (err != nil && dialFailure(err) == nil || err == nil && resp.StatusCode >= http.StatusInternalServerError) {
			uncertain = req.Method
		}
		if err == nil && t.retryRead(req, resp, attempt) {
			traffic.record(sent, retries+1, uncertain)
			delay := t.opts.Delay(attempt, nil)
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if !Sleep(req.Context(), delay) {
				return nil, req.Context().Err()
			}
			continue
		}
		if err != nil && t.retryDial(req, err, attempt) {
			traffic.record(sent, retries+1, "")
			if !Sleep(req.Context(), t.opts.Delay(attempt, nil)) {
				return nil, req.Context().Err()
			}
			continue
		}
		traffic.record(sent, retries, uncertain)
		return resp, err
	}
}

// retryDial reports whether this transport retries a GET that could not
// connect at all (refused, dial timeout, no route): client-go retries a
// GET only when an established connection broke, so discovery against a
// server that is restarting would fail at once (issue 12, G).
func (t *retryTransport) retryDial(req *http.Request, err error, attempt int) bool {
	return req.Method == http.MethodGet && req.Body == nil && attempt < t.opts.MaxAttempts &&
		req.Context().Err() == nil && retryableDialFailure(err)
}

// retryRead reports whether this transport retries the response: a GET
// answered 429 or 5xx that client-go does not retry (no Retry-After), with
// attempts left.
func (t *retryTransport) retryRead(req *http.Request, resp *http.Response, attempt int) bool {
	return req.Method == http.MethodGet && req.Body == nil && attempt < t.opts.MaxAttempts &&
		transientStatus(resp.StatusCode) && !retryAfter(resp) && req.Context().Err() == nil
}

// clientRetries reports whether client-go will send the request again after
// this outcome (k8s.io/client-go/rest: Request.request and Request.Watch):
// a 429 or 5xx with Retry-After, for any verb; a GET whose connection
// broke; a watch whose connection broke or timed out. It cannot see
// client-go's attempt count, so the last of its 10 retries is counted too.
func clientRetries(req *http.Request, resp *http.Response, err error) bool {
	if err == nil {
		return (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= http.StatusInternalServerError) && retryAfter(resp)
	}
	if req.Method != http.MethodGet {
		return false
	}
	if isWatch(req) {
		return utilnet.IsProbableEOF(err) || utilnet.IsTimeout(err)
	}
	return utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err)
}

func isWatch(req *http.Request) bool {
	w := req.URL.Query().Get("watch")
	return w == "true" || w == "1" || strings.Contains(req.URL.Path, "/watch/")
}
