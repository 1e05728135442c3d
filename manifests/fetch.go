package manifests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// fetch reads a URL within HTTPTimeout and what MaxTotalBytes has left. The
// URL is shown without its password, if it has one, in Sources and errors.
func (r *reader) fetch(ctx context.Context, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		r.fail(raw, errors.New("invalid URL"))
		return
	}
	display := u.Redacted()
	ctx, cancel := context.WithTimeout(ctx, r.opts.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		r.fail(display, errors.New("invalid URL"))
		return
	}
	resp, err := r.opts.HTTPClient.Do(req)
	if err != nil {
		r.fail(display, r.fetchError(ctx, err))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.fail(display, fmt.Errorf("HTTP %s", resp.Status))
		return
	}
	n := len(r.errs)
	data, ok := r.readLimited(display, resp.Body, resp.ContentLength)
	if !ok {
		if len(r.errs) > n && !r.stopped && ctx.Err() != nil {
			r.errs[n] = &ReadError{Path: display, Err: r.fetchError(ctx, ctx.Err())}
		}
		return
	}
	r.decode(display, data)
}

func (r *reader) fetchError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s", r.opts.HTTPTimeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
