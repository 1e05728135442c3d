package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/apply/watcher"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// readyFlags adjust what ready means, for wait, status and apply --wait.
func readyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "wait-for-load-balancer", Usage: "a Service of type LoadBalancer, and an Ingress, are ready only once they have a load-balancer address"},
	}
}

// waitFlags are the flags of the wait command, and of apply with --wait.
func waitFlags() []cli.Flag {
	return concat(
		&cli.DurationFlag{Name: "timeout", Value: watcher.DefaultWaitOptions().Timeout, Usage: "how long to wait for every object to be ready (exit 3 when it passes); also bounds apply's wait for each depends-on dependency"},
		readyFlags(),
	)
}

// applyWaitFlags are added to the apply command.
func applyWaitFlags() []cli.Flag {
	return concat(
		&cli.BoolFlag{Name: "wait", Usage: "once every object is applied, wait until they are ready (rolled out, complete, bound...)"},
		waitFlags(),
	)
}

// lookupFlags are the flags of the commands that only read the cluster.
func lookupFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cache-dir", Value: dynamicx.DefaultDiscoveryOptions().CacheDir, Usage: "discovery cache directory, shared with kubectl (empty: no disk cache)"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: text, or json (one object per line)"},
	}
}

func waitCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait until the objects of the manifests are ready, without applying them",
		UsageText: "kapply wait -f PATH [-f PATH...] [--timeout 5m] [flags]\n   kapply wait -k DIR [--timeout 5m] [flags]",
		Description: "Watches every object of the manifests until it is ready: a Deployment, StatefulSet or DaemonSet\n" +
			"rolled out, a Job complete, a Pod ready, a PVC bound, a CRD established, a custom resource\n" +
			"whose Ready condition is true; anything else once it exists. Progress goes to stderr (a live\n" +
			"table on a terminal, one line per change otherwise); with -o json, one kapply.dev/wait-event/v1\n" +
			"line per change on stdout, then a kapply.dev/readiness-summary/v1 line.\n" +
			"Exits 0 when all are ready, 1 as soon as one fails, 3 when --timeout passes first.",
		Flags:  concat(connectionFlags(), inputFlags(), waitFlags(), lookupFlags()),
		Action: func(c *cli.Context) error { return runWait(c, s) },
	}
}

// waitOptions reads the flags of waitFlags.
func waitOptions(c *cli.Context) (watcher.WaitOptions, error) {
	opts := watcher.DefaultWaitOptions()
	opts.Timeout = c.Duration("timeout")
	opts.Ready.WaitForLoadBalancer = c.Bool("wait-for-load-balancer")
	return opts, opts.Validate()
}

// applyWaitOptions reads --wait and its flags for apply: nil without
// --wait.
func applyWaitOptions(c *cli.Context, opts apply.Options) (*watcher.WaitOptions, error) {
	if !c.Bool("wait") {
		return nil, nil // --timeout still bounds the wait for each depends-on dependency
	}
	if opts.DryRun != apply.DryRunNone {
		return nil, errors.New("--wait cannot be used with --dry-run: nothing is stored to wait for")
	}
	w, err := waitOptions(c)
	return &w, err
}

func runWait(c *cli.Context, s streams) error {
	out, err := newPrinter(c.String("output"), s)
	if err != nil {
		return withCode(exitUsage, err)
	}
	opts, err := waitOptions(c)
	if err != nil {
		return withCode(exitUsage, err)
	}
	clients, targets, err := loadTargets(c, s)
	if err != nil {
		return err
	}
	return waitFor(c.Context, out, clients, targets, opts)
}

// waitAfterApply waits for the objects just applied, when --wait was
// given. The bundle is planned again: its CRDs are established by now, so
// the kinds they define resolve like any other.
func waitAfterApply(ctx context.Context, out *printer, clients *dynamicx.Clients, objs []manifests.Object, opts *watcher.WaitOptions) error {
	if opts == nil {
		return nil
	}
	plan, err := apply.MakePlan(ctx, clients.Mapper, clients.Config, objs)
	if err != nil {
		return withCode(exitFailed, fmt.Errorf("resolve the applied objects to wait for them: %w", err))
	}
	return waitFor(ctx, out, clients, apply.TargetsOf(plan), *opts)
}

// waitFor runs the wait with progress on the printer's streams, prints the
// summary and maps the outcome to an exit code.
func waitFor(ctx context.Context, out *printer, clients *dynamicx.Clients, targets []watcher.Target, opts watcher.WaitOptions) error {
	start := time.Now()
	progress := newProgress(out, targets)
	opts.Progress = progress.update
	statuses, err := watcher.Wait(ctx, clients, targets, opts)
	progress.finish()
	var te *watcher.TimeoutError
	var fe *watcher.FailedError
	result := "ready"
	switch {
	case err == nil:
	case errors.As(err, &te):
		result, err = "timeout", withCode(exitTimeout, err)
	case errors.As(err, &fe):
		result, err = "failed", withCode(exitFailed, err)
	case errors.Is(err, watcher.ErrWaitInterrupted):
		result, err = "interrupted", withCode(exitInterrupted, err)
	default:
		return withCode(exitUsage, err) // invalid options
	}
	out.readinessSummary(statuses, result, time.Since(start))
	return err
}

// loadTargets reads the manifests, connects and resolves every object
// without writing anything. Errors carry their exit code.
func loadTargets(c *cli.Context, s streams) (*dynamicx.Clients, []watcher.Target, error) {
	objs, err := readInput(c, s)
	if err != nil {
		return nil, nil, err
	}
	clients, err := connectCluster(c, s)
	if err != nil {
		return nil, nil, err
	}
	plan, err := apply.MakePlan(c.Context, clients.Mapper, clients.Config, objs)
	if err != nil {
		return nil, nil, engineExit(c.Context, err)
	}
	return clients, apply.TargetsOf(plan), nil
}
