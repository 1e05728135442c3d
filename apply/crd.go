package apply

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapply-dev/kapply/dynamicx"
)

// waitEstablished watches one CRD until its Established condition is true.
// A CRD whose names are rejected (NamesAccepted=False) never becomes
// established, so that ends the wait at once with the server's reason.
// A watch that fails transiently, or ends early, is started again.
func (r *run) waitEstablished(ctx context.Context, item *Item) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.CRDTimeout)
	defer cancel()
	ri := r.a.Clients.Dynamic.Resource(crdGVR)
	name := item.Object.GetName()
	for attempt := 1; ; {
		// A watch without a resourceVersion starts with the current
		// state, so an already established CRD returns at once.
		w, err := ri.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("not established within %s", r.opts.CRDTimeout)
			}
			if r.backoff(ctx, attempt, err) {
				attempt++
				continue
			}
			return fmt.Errorf("watch CRD: %w", gaveUp(attempt, err))
		}
		attempt = 1
		done, err := established(ctx, w)
		w.Stop()
		if done || err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("not established within %s", r.opts.CRDTimeout)
		}
		// The watch ended before the CRD was established (the server
		// closes watches after a while, or a proxy broke it): watch again,
		// after a short pause in case it keeps ending.
		if !dynamicx.Sleep(ctx, r.opts.Retry.Delay(1, nil)) {
			return fmt.Errorf("not established within %s", r.opts.CRDTimeout)
		}
		dynamicx.TrafficFrom(ctx).AddRetry()
	}
}

// established reads events until the CRD is established (true), it is
// refused (error), or the watch ends (false: watch again).
func established(ctx context.Context, w watch.Interface) (bool, error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false, nil
			}
			u, isObj := ev.Object.(*unstructured.Unstructured)
			if !isObj || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				typ, _ := cm["type"].(string)
				status, _ := cm["status"].(string)
				switch {
				case typ == "Established" && status == "True":
					return true, nil
				case typ == "NamesAccepted" && status == "False":
					msg, _ := cm["message"].(string)
					return false, errors.New("names not accepted: " + msg)
				}
			}
		}
	}
}
