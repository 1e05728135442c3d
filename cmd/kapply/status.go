package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/apply/watcher"
)

func statusCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show whether each object of the manifests is ready, in progress, failed or missing",
		UsageText: "kapply status -f PATH [-f PATH...] [flags]\n   kapply status -k DIR [flags]",
		Description: "Reads every object of the manifests once and prints its state (ready, in progress, failed,\n" +
			"not found, terminating, unknown), ready pods against desired for workloads, and why.\n" +
			"With -o json, one kapply.dev/status/v1 line per object, then a kapply.dev/readiness-summary/v1 line.\n" +
			"Exits 0 when every object is ready, 1 otherwise (missing objects included).",
		Flags:  concat(connectionFlags(), inputFlags(), readyFlags(), lookupFlags()),
		Action: func(c *cli.Context) error { return runStatus(c, s) },
	}
}

func runStatus(c *cli.Context, s streams) error {
	out, err := newPrinter(c.String("output"), s)
	if err != nil {
		return withCode(exitUsage, err)
	}
	clients, targets, err := loadTargets(c, s)
	if err != nil {
		return err
	}
	ready := readiness.Options{WaitForLoadBalancer: c.Bool("wait-for-load-balancer")}
	statuses := watcher.Check(c.Context, clients, targets, ready)
	if c.Context.Err() != nil {
		return withCode(exitInterrupted, errors.New("interrupted"))
	}
	out.statusTable(statuses)
	notReady := 0
	for _, ts := range statuses {
		if ts.State != readiness.StateCurrent {
			notReady++
		}
	}
	result := "ready"
	if notReady > 0 {
		result = "not-ready"
	}
	out.readinessSummary(statuses, result, 0)
	if notReady > 0 {
		return withCode(exitFailed, fmt.Errorf("%s not ready", apply.OfObjects(notReady, len(statuses))))
	}
	return nil
}
