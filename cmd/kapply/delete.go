package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

func deleteCommand(s streams) *cli.Command {
	d := apply.DefaultDeleteOptions()
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete the objects of the manifests (reverse apply order), or a whole ApplySet",
		UsageText: "kapply delete -f PATH [-f PATH...] [flags]\n   kapply delete -k DIR [flags]\n   kapply delete --applyset [RESOURCE][.GROUP]/NAME [flags]",
		Flags: concat(connectionFlags(),
			filenameFlag(),
			kustomizeFlag(),
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"R"}, Usage: "read directories with their subdirectories"},
			&cli.StringFlag{Name: "applyset", Usage: "delete every member of this ApplySet, then its parent"},
			&cli.BoolFlag{Name: "applyset-takeover", Usage: "with --applyset: accept a set made by other tooling"},
			&cli.StringFlag{Name: "cascade", Value: d.Cascade, Usage: "background, foreground or orphan"},
			&cli.BoolFlag{Name: "ignore-not-found", Usage: "report objects that are not there as absent, not as failures"},
			&cli.BoolFlag{Name: "wait", Usage: "wait until the objects are gone (finalizers done)"},
			&cli.DurationFlag{Name: "timeout", Value: d.Timeout, Usage: "how long --wait waits"},
			&cli.StringFlag{Name: "dry-run", Usage: "server: admission runs, nothing is deleted"},
			&cli.IntFlag{Name: "concurrency", Value: d.Concurrency, Usage: "objects deleted in parallel"},
			&cli.StringFlag{Name: "cache-dir", Value: dynamicx.DefaultDiscoveryOptions().CacheDir, Usage: "discovery cache directory (empty: no disk cache)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: text or json"},
		),
		Action: func(c *cli.Context) error { return runDelete(c, s) },
	}
}

func runDelete(c *cli.Context, s streams) error {
	ctx := c.Context
	out, err := newPrinter(c.String("output"), s)
	if err != nil {
		return withCode(exitUsage, err)
	}
	files, setName := len(c.StringSlice("filename")) > 0 || c.String("kustomize") != "", c.String("applyset")
	if files == (setName != "") {
		return withCode(exitUsage, errors.New("give either -f or -k (the objects to delete) or --applyset (a whole set)"))
	}
	opts := apply.DefaultDeleteOptions()
	opts.Cascade = c.String("cascade")
	opts.IgnoreNotFound = c.Bool("ignore-not-found")
	opts.Wait = c.Bool("wait")
	opts.Timeout = c.Duration("timeout")
	opts.DryRun = apply.DryRun(c.String("dry-run"))
	opts.Concurrency = c.Int("concurrency")
	opts.Waiting = func(ref dynamicx.Ref, reason string) {
		fmt.Fprintf(s.err, "%s: still present: %s\n", ref, reason)
	}
	if err := opts.Validate(); err != nil {
		return withCode(exitUsage, err)
	}
	var objs []manifests.Object
	if files {
		if objs, err = readInput(c, s); err != nil {
			return err
		}
	}
	clients, err := connectCluster(c, s)
	if err != nil {
		return err
	}
	applier := &apply.Applier{Clients: clients}
	var cs *apply.ChangeSet
	if setName != "" {
		aopts := apply.DefaultOptions()
		aopts.DryRun, aopts.Concurrency = opts.DryRun, opts.Concurrency
		cs, err = applier.DeleteApplySet(ctx, applyset.Options{Parent: setName, Tooling: "kapply/" + clientVersion(), Takeover: c.Bool("applyset-takeover")}, aopts)
	} else {
		cs, err = applier.Delete(ctx, objs, opts)
	}
	var still *apply.StillPresentError
	switch {
	case errors.As(err, &still):
		out.results(cs, true)
		return withCode(exitTimeout, err)
	case err != nil:
		return engineExit(ctx, err)
	}
	out.results(cs, true)
	warnRun(s, cs.Warnings)
	switch {
	case ctx.Err() != nil:
		return withCode(exitInterrupted, errors.New("interrupted"))
	case cs.Count(apply.Failed) > 0:
		return withCode(exitFailed, fmt.Errorf("%s not deleted", apply.OfObjects(cs.Count(apply.Failed), len(cs.Results))))
	case cs.PruneErr != nil:
		return withCode(exitFailed, cs.PruneErr)
	}
	return nil
}
