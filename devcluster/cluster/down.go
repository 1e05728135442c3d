package cluster

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// stopOrder is the order in which components are stopped: the clients of
// the API server first, then the API server, and etcd last, because an API
// server whose etcd is gone hangs in shutdown for minutes.
var stopOrder = []string{"kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"}

const stopGrace = 5 * time.Second

func (c *Cluster) stopAll() error {
	return stopComponents(c.State.Components)
}

func stopComponents(comps []*Component) error {
	var errs []error
	for _, name := range stopOrder {
		for _, comp := range comps {
			if comp.Name == name {
				if err := comp.stop(stopGrace); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Down stops the cluster in c and removes its data.
func (c *Cluster) Down() error {
	if err := c.stopAll(); err != nil {
		return err
	}
	return os.RemoveAll(c.Dir)
}

// Down stops the cluster recorded in dir, possibly started by another
// process, and removes dir.
func Down(dir string) error {
	s, err := LoadState(dir)
	if err != nil {
		return err
	}
	if err := stopComponents(s.Components); err != nil {
		return fmt.Errorf("stop cluster in %s: %w", dir, err)
	}
	return os.RemoveAll(dir)
}
