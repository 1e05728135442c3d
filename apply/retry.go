package apply

import (
	"context"
	"fmt"

	"github.com/kapply-dev/kapply/dynamicx"
)

// Which failures are retried, and by whom (one layer each, so that no
// failure is retried twice over):
//
//   - client-go: a 429 or 5xx carrying Retry-After, for every verb (it
//     waits as told, up to 10 times); a GET or watch whose connection
//     broke.
//   - dynamicx's transport: a GET (read, list, discovery, watch start)
//     answered 429 or 5xx without Retry-After.
//   - the engine, here: writes. A server-side apply patch is idempotent and
//     is simply sent again. A POST or PUT is not: after a failure that
//     leaves its outcome unknown (connection lost, 5xx) the object is read
//     back first (update.go). The CRD watch is started again (crd.go).
//
// Every retry is counted in the object's Result.Retries and the run's
// ChangeSet.Retries.

// retry sends an idempotent write until it succeeds, fails for good, or
// the policy or ctx ends the attempts.
func (r *run) retry(ctx context.Context, send func() error) error {
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || !r.backoff(ctx, attempt, err) {
			return gaveUp(attempt, err)
		}
	}
}

// backoff decides whether to try again after attempt failed with err: the
// error is transient, client-go has not retried it already, attempts are
// left. It then waits (false when ctx ends first) and counts the retry.
func (r *run) backoff(ctx context.Context, attempt int, err error) bool {
	if !dynamicx.IsTransient(err) || isWebhookUnreachable(err) || dynamicx.RetriedByClient(err) || attempt >= r.opts.Retry.MaxAttempts || ctx.Err() != nil {
		return false
	}
	if !dynamicx.Sleep(ctx, r.opts.Retry.Delay(attempt, err)) {
		return false
	}
	dynamicx.TrafficFrom(ctx).AddRetry()
	return true
}

// gaveUp says how many attempts a request took when it still failed after
// retries.
func gaveUp(attempts int, err error) error {
	if err == nil || attempts < 2 {
		return err
	}
	return fmt.Errorf("gave up after %d attempts: %w", attempts, err)
}

// traffic is the run's connection-wide request counter, or nil.
func (r *run) traffic() *dynamicx.Traffic {
	if r.a == nil || r.a.Clients == nil || r.a.Clients.Config == nil {
		return nil
	}
	return r.a.Clients.Config.Traffic
}
