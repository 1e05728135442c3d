package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

func filenameFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "filename", Aliases: []string{"f"}, Usage: "a file, directory, URL or - (stdin); repeat for more"}
}

func kustomizeFlag() cli.Flag {
	return &cli.StringFlag{Name: "kustomize", Aliases: []string{"k"}, Usage: "a kustomization directory, rendered as kubectl kustomize does (kustomize " + manifests.KustomizeVersion + "; not with -f)"}
}

// inputFlags select the manifests to read: -f or -k.
func inputFlags() []cli.Flag {
	return []cli.Flag{
		filenameFlag(),
		kustomizeFlag(),
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"R"}, Usage: "read directories with their subdirectories"},
		&cli.Int64Flag{Name: "max-input-bytes", Value: manifests.DefaultMaxTotalBytes, Usage: "refuse inputs larger than this in total"},
	}
}

// writeFlags tune how objects are written.
func writeFlags() []cli.Flag {
	d := apply.DefaultOptions()
	return []cli.Flag{
		&cli.StringFlag{Name: "field-manager", Value: d.FieldManager, Usage: "field manager name for server-side apply"},
		&cli.StringFlag{Name: "dry-run", Usage: "server: send everything with dryRun, store nothing; client: plan only"},
		&cli.StringFlag{Name: "validate", Value: "strict", Usage: "server-side field validation: strict, warn or ignore"},
		&cli.IntFlag{Name: "concurrency", Value: d.Concurrency, Usage: "objects written in parallel within a stage"},
		&cli.Float64Flag{Name: "qps", Usage: "client-side request rate limit (0: none)"},
		&cli.IntFlag{Name: "burst", Usage: "client-side burst, with --qps"},
		&cli.DurationFlag{Name: "crd-timeout", Value: d.CRDTimeout, Usage: "how long to wait for the bundle's CRDs to be established"},
		&cli.DurationFlag{Name: "webhook-timeout", Value: d.WebhookTimeout, Usage: "how long to try again a write refused because an admission webhook cannot be reached"},
		&cli.StringFlag{Name: "cache-dir", Value: dynamicx.DefaultDiscoveryOptions().CacheDir, Usage: "discovery cache directory, shared with kubectl (empty: no disk cache)"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: text, or json (one object per line)"},
	}
}

func applyCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "create or update the objects of the manifests with server-side apply (the default command)",
		UsageText: "kapply apply -f PATH [-f PATH...] [flags]\n   kapply apply -k DIR [flags]",
		Flags: concat(connectionFlags(), inputFlags(), writeFlags(),
			&cli.BoolFlag{Name: "force-conflicts", Usage: "take over fields owned by other field managers"},
			&cli.BoolFlag{Name: "force-replace", Usage: "delete and re-create every object whose change the server refuses because a field is immutable (one object: annotate it " + apply.ReplaceAnnotation + ": " + apply.ReplaceOnImmutable + ")"},
			migrateFromFlag(),
			&cli.StringFlag{Name: "mode", Value: string(apply.ServerSideApply), Usage: "apply (server-side apply) or update (client-side apply, as kubectl apply: last-applied annotation and three-way merge patch)"},
			applyWaitFlags(),
			applySetFlags(),
		),
		Action: func(c *cli.Context) error { return runApply(c, s, "") },
	}
}

func createCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create the objects of the manifests; an object that exists is an error (as kubectl create -f)",
		UsageText: "kapply create -f PATH [-f PATH...] [flags]\n   kapply create -k DIR [flags]",
		Flags:     concat(connectionFlags(), inputFlags(), writeFlags()),
		Action:    func(c *cli.Context) error { return runApply(c, s, apply.Create) },
	}
}

// migrateFromFlag names other tools' field managers whose fields apply
// takes over (issue 12 B).
func migrateFromFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "migrate-from", Usage: "take over the fields of this field manager (helm, kapp, an old --field-manager...) so that fields the manifests dropped are removed; repeat for more. kubectl apply's client-side managers are always taken"}
}

// migratedNote says whose fields were taken over.
func migratedNote(managers []string) string {
	return "field ownership migrated from " + strings.Join(managers, ", ")
}

func concat(groups ...any) []cli.Flag {
	var out []cli.Flag
	for _, g := range groups {
		switch v := g.(type) {
		case []cli.Flag:
			out = append(out, v...)
		case cli.Flag:
			out = append(out, v)
		}
	}
	return out
}

// applyOptions turns flags into engine options.
func applyOptions(c *cli.Context, mode apply.Mode) (apply.Options, error) {
	opts := apply.DefaultOptions()
	opts.FieldManager = c.String("field-manager")
	opts.Concurrency = c.Int("concurrency")
	opts.CRDTimeout = c.Duration("crd-timeout")
	opts.WebhookTimeout = c.Duration("webhook-timeout")
	if c.IsSet("timeout") {
		opts.DependencyTimeout = c.Duration("timeout")
	}
	if c.IsSet("wait-for-load-balancer") {
		opts.Ready.WaitForLoadBalancer = c.Bool("wait-for-load-balancer")
	}
	if mode == "" {
		mode = apply.Mode(c.String("mode"))
		opts.ForceConflicts = c.Bool("force-conflicts")
		opts.ForceReplace = c.Bool("force-replace")
		opts.MigrateFrom = c.StringSlice("migrate-from")
	}
	opts.Mode = mode
	opts.DryRun = apply.DryRun(c.String("dry-run"))
	v, err := parseValidation(c.String("validate"))
	if err != nil {
		return opts, err
	}
	opts.Validation = v
	return opts, opts.Validate()
}

// parseValidation maps --validate to the server's field validation; true
// and false are kubectl's older spellings.
func parseValidation(flag string) (apply.Validation, error) {
	switch strings.ToLower(flag) {
	case "strict", "true":
		return apply.ValidateStrict, nil
	case "warn":
		return apply.ValidateWarn, nil
	case "ignore", "false":
		return apply.ValidateIgnore, nil
	}
	return "", fmt.Errorf("--validate must be strict, warn or ignore, got %q", flag)
}

func runApply(c *cli.Context, s streams, mode apply.Mode) error {
	ctx := c.Context
	out, err := newPrinter(c.String("output"), s)
	if err != nil {
		return withCode(exitUsage, err)
	}
	opts, err := applyOptions(c, mode)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if mode == "" {
		if opts.ApplySet, err = applySetOptions(c); err != nil {
			return withCode(exitUsage, err)
		}
	}
	waitOpts, err := applyWaitOptions(c, opts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	objs, err := readInput(c, s)
	if err != nil {
		return err
	}
	clients, err := connectCluster(c, s)
	if err != nil {
		return err
	}
	applier := &apply.Applier{Clients: clients}
	var mu sync.Mutex
	opts.Progress = func(r apply.Result) {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range r.Warnings {
			fmt.Fprintf(s.err, "warning: %s: %s\n", r.Ref, w)
		}
	}
	opts.Waiting = func(w apply.Waiting) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(s.err, "%s: waiting for %s\n", w.Ref, w.For)
	}
	cs, err := applier.Apply(ctx, objs, opts)
	if err != nil {
		return engineExit(ctx, err)
	}
	if ue := unreachableRun(clients.Config, cs.Results); ue != nil && ctx.Err() == nil {
		if out.json {
			out.results(cs, false)
		}
		return withCode(exitFailed, ue)
	}
	out.results(cs, false)
	warnRun(s, cs.Warnings)
	switch {
	case ctx.Err() != nil:
		return withCode(exitInterrupted, errors.New("interrupted: objects not applied are listed as skipped"))
	case cs.Count(apply.Failed)+cs.Count(apply.Skipped) > 0:
		err := fmt.Errorf("%s not applied", apply.OfObjects(cs.Count(apply.Failed)+cs.Count(apply.Skipped), len(cs.Results)))
		return withCode(exitFailed, errors.Join(err, cs.PruneErr))
	case cs.PruneErr != nil:
		return withCode(exitFailed, cs.PruneErr)
	}
	return waitAfterApply(ctx, out, clients, objs, waitOpts)
}

// warnRun prints warnings about the run as a whole on stderr.
func warnRun(s streams, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(s.err, "warning: %s\n", w)
	}
}

// connect loads the kubeconfig and builds the clients, warning when TLS
// verification is off.
func connect(opts dynamicx.ConfigOptions, cacheDir string, s streams) (*dynamicx.Clients, error) {
	cfg, err := dynamicx.LoadConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.Insecure {
		fmt.Fprintf(s.err, "warning: TLS verification is off for %s (insecure-skip-tls-verify in the kubeconfig)\n", cfg.REST.Host)
	}
	dopts := dynamicx.DefaultDiscoveryOptions()
	dopts.CacheDir = cacheDir
	return dynamicx.NewClients(cfg, dopts)
}
