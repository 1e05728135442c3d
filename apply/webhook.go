package apply

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kapply-dev/kapply/dynamicx"
)

// A bundle that installs an operator and its custom resources together
// meets the operator's admission webhook before its Pod serves it
// (knative/serving#6353, cert-manager's Issuers): the API server answers
// 500 InternalError "failed calling webhook NAME: ... connection refused"
// (or no endpoints, or a timeout). Such a write is tried again until the
// webhook answers, within Options.WebhookTimeout.

var webhookNameRE = regexp.MustCompile(`failed calling webhook "([^"]+)"`)

// webhookUnreachable are the ends of the API server's message when the
// webhook's backend did not answer at all (as opposed to a refusal, or a
// TLS error that waiting does not fix).
var webhookUnreachable = []string{
	"connection refused",
	"no endpoints available for service",
	"context deadline exceeded",
	"i/o timeout",
	"Client.Timeout exceeded",
	"connection reset by peer",
	"no route to host",
}

// unreachableWebhook returns the webhook a write failed to reach.
func unreachableWebhook(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	msg := err.Error()
	m := webhookNameRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	for _, marker := range webhookUnreachable {
		if strings.Contains(msg, marker) {
			return m[1], true
		}
	}
	return "", false
}

func isWebhookUnreachable(err error) bool {
	_, ok := unreachableWebhook(err)
	return ok
}

// write sends one object; a write refused because an admission webhook
// cannot be reached is sent again, with backoff (0.5 s doubling to 5 s),
// until the webhook answers or Options.WebhookTimeout passes. Other
// objects go on meanwhile.
func (r *run) write(ctx context.Context, item *Item, snap *snapshot) Result {
	var deadline time.Time
	for attempt := 1; ; attempt++ {
		res := r.writeOnce(ctx, item, snap)
		name, ok := unreachableWebhook(res.Err)
		if res.Action != Failed || !ok {
			res.Retries += attempt - 1
			return res
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(r.opts.WebhookTimeout)
			r.notify(item, "webhook "+name)
		}
		delay := min(500*time.Millisecond<<min(attempt-1, 4), 5*time.Second, time.Until(deadline))
		if delay <= 0 || !dynamicx.Sleep(ctx, delay) {
			res.Retries += attempt - 1
			if ctx.Err() != nil {
				return res
			}
			res.Err = fmt.Errorf("webhook %s could not be reached within %s: %w", name, r.opts.WebhookTimeout, res.Err)
			return res
		}
	}
}
