package faultproxy

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kind is what the fault proxy does to a request it picked.
type Kind string

const (
	// Status answers Rule.Status (with Retry-After when set)
	// without forwarding: the server never sees the request.
	Status Kind = "status"
	// Reset resets the connection without forwarding.
	Reset Kind = "reset"
	// Drop forwards the request, reads the whole response, then
	// resets the client's connection: the server processed the request,
	// the client never hears how. Watches are never dropped (their
	// response does not end).
	Drop Kind = "drop"
	// Latency waits Rule.Latency, then forwards; a request its client
	// gives up on meanwhile is not forwarded.
	Latency Kind = "latency"
	// EndWatch forwards a watch and ends it cleanly after its first
	// event. It only applies to watches.
	EndWatch Kind = "end-watch"
	// Hold holds the request until Rule.Release is closed, then forwards
	// it.
	Hold Kind = "hold"
	// Intercept runs Rule.Before, then forwards the request as is: a
	// test's own write lands between two of the client's requests, as a
	// concurrent writer's would.
	Intercept Kind = "intercept"
)

// Request is one request the proxy received.
type Request struct {
	Seq    int // arrival order, from 1
	Method string
	Path   string
	Query  string
	// Accept is the request's Accept header: what the client asked the
	// server to answer with (as=PartialObjectMetadata: metadata only).
	Accept string
	Watch  bool
	// Fault is the fault injected, "" when the request went through as is.
	Fault Kind
	// Forwarded is true when the request was sent on to the API server
	// (sent, not necessarily processed: the server may have failed).
	Forwarded bool
	// Status is what the client received; 0 when its connection was
	// reset. UpstreamStatus is what the API server answered, 0 when the
	// request was not forwarded.
	Status         int
	UpstreamStatus int
}

// IsWrite reports whether the request asks for a change (dry runs
// included: check Query for dryRun).
func (l Request) IsWrite() bool {
	switch l.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// Proxy is a TLS reverse proxy on loopback in front of a cluster's
// API server that injects faults. It serves HTTP/1.1 only, so that a reset
// or a dropped response breaks one request and not every stream
// multiplexed on an HTTP/2 connection.
type Proxy struct {
	upstream  string
	transport *http.Transport

	mu    sync.Mutex
	sched schedule
	seq   int
	log   []Request
}

// Requests returns the log, in completion order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.log)
	slices.SortFunc(out, func(a, b Request) int { return a.Seq - b.Seq })
	return out
}

// Writes returns the write requests that reached the API server.
func (p *Proxy) Writes() []Request {
	var out []Request
	for _, l := range p.Requests() {
		if l.Forwarded && l.IsWrite() {
			out = append(out, l)
		}
	}
	return out
}

// Faults returns the requests a fault was injected into.
func (p *Proxy) Faults() []Request {
	var out []Request
	for _, l := range p.Requests() {
		if l.Fault != "" {
			out = append(out, l)
		}
	}
	return out
}

func isWatchRequest(r *http.Request) bool {
	w := r.URL.Query().Get("watch")
	return w == "true" || w == "1" || strings.Contains(r.URL.Path, "/watch/")
}

// ServeHTTP logs each request before the client can see its outcome, so
// that the log is complete as soon as the client is done.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	watch := isWatchRequest(r)
	p.mu.Lock()
	p.seq++
	seq, rule := p.seq, p.sched.pick(r, watch)
	p.mu.Unlock()
	entry := Request{Seq: seq, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Accept: r.Header.Get("Accept"), Watch: watch}
	if rule == nil {
		p.forward(w, r, entry, false)
		return
	}
	entry.Fault = rule.Fault
	switch rule.Fault {
	case Status:
		entry.Status = rule.Status
		p.record(entry)
		writeStatus(w, rule.Status, rule.RetryAfter)
	case Reset:
		p.record(entry)
		resetConnection(w)
	case Drop:
		entry.Forwarded = true
		resp, err := p.send(r)
		if err == nil {
			entry.UpstreamStatus = resp.StatusCode
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		p.record(entry)
		resetConnection(w)
	case Latency:
		select {
		case <-time.After(rule.Latency):
		case <-r.Context().Done():
			// The client gave up while the request was held: it is not
			// forwarded (a cancelled context does not stop a transport
			// that has a connection ready from sending it).
			p.record(entry)
			return
		}
		p.forward(w, r, entry, false)
	case EndWatch:
		p.forward(w, r, entry, true)
	case Hold:
		select {
		case <-rule.Release:
		case <-r.Context().Done():
		}
		p.forward(w, r, entry, false)
	case Intercept:
		if rule.Before != nil {
			rule.Before()
		}
		p.forward(w, r, entry, false)
	}
}

func (p *Proxy) record(entry Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, entry)
}

// hopHeaders are not forwarded by a proxy (RFC 9110, section 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// send forwards the request to the API server.
func (p *Proxy) send(r *http.Request) (*http.Response, error) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), r.Body)
	if err != nil {
		return nil, err
	}
	out.ContentLength = r.ContentLength
	if r.ContentLength == 0 {
		out.Body = nil
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	return p.transport.RoundTrip(out)
}

// forward relays the request and its response. A response is read whole
// before it is logged and relayed; a watch is logged when it starts and
// streamed, flushed as it goes, or ended after its first line (which ends
// a JSON watch after its first event) when endAfterFirstEvent.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, entry Request, endAfterFirstEvent bool) {
	entry.Forwarded = true
	resp, err := p.send(r)
	if err != nil {
		entry.Status = http.StatusBadGateway
		p.record(entry)
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	entry.UpstreamStatus, entry.Status = resp.StatusCode, resp.StatusCode
	for k, vs := range resp.Header {
		if !slices.Contains(hopHeaders, k) {
			w.Header()[k] = vs
		}
	}
	if !entry.Watch {
		body, err := io.ReadAll(resp.Body)
		p.record(entry)
		if err != nil {
			resetConnection(w)
			return
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return
	}
	p.record(entry)
	w.WriteHeader(resp.StatusCode)
	flusher, _ := w.(http.Flusher)
	if endAfterFirstEvent {
		line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
		if err == nil {
			_, _ = w.Write(line)
		}
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// writeStatus answers as the API server does: a JSON Status.
func writeStatus(w http.ResponseWriter, code int, retryAfter string) {
	reasons := map[int]metav1.StatusReason{
		http.StatusConflict:            metav1.StatusReasonConflict,
		http.StatusTooManyRequests:     metav1.StatusReasonTooManyRequests,
		http.StatusInternalServerError: metav1.StatusReasonInternalError,
		http.StatusServiceUnavailable:  metav1.StatusReasonServiceUnavailable,
		http.StatusGatewayTimeout:      metav1.StatusReasonTimeout,
	}
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Code:     int32(code),
		Reason:   reasons[code],
		Message:  fmt.Sprintf("fault proxy: %d %s", code, http.StatusText(code)),
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
		if s, err := strconv.Atoi(retryAfter); err == nil {
			st.Details = &metav1.StatusDetails{RetryAfterSeconds: int32(s)}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(st)
}

// resetConnection takes the connection over and resets it (TCP RST, no
// TLS close_notify), so the client sees "connection reset by peer".
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("fault proxy: hijack: %v", err))
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}
