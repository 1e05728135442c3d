package main

import (
	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/dynamicx"
)

func newApp(s streams) *cli.App {
	app := &cli.App{
		Name:                 "kapply",
		Usage:                "apply Kubernetes manifests, fast, predictably and safely",
		Version:              clientVersion(),
		HideVersion:          true,
		Reader:               s.in,
		Writer:               s.out,
		ErrWriter:            s.err,
		EnableBashCompletion: false,
		Flags:                connectionFlags(),
		Commands: []*cli.Command{
			applyCommand(s),
			createCommand(s),
			deleteCommand(s),
			diffCommand(s),
			waitCommand(s),
			statusCommand(s),
			versionCommand(s),
		},
		// Errors are printed once, by run, with their exit code.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	level := &klogLevel{s: s}
	for _, cmd := range app.Commands {
		cmd.Before, cmd.After = chain(refuseArgs, level.before), level.after
	}
	app.CustomAppHelpTemplate = cli.AppHelpTemplate + "\n" + exitCodesHelp
	return app
}

// chain runs checks in order and stops at the first error.
func chain(checks ...cli.BeforeFunc) cli.BeforeFunc {
	return func(c *cli.Context) error {
		for _, check := range checks {
			if err := check(c); err != nil {
				return err
			}
		}
		return nil
	}
}

// connectionFlags are accepted before and after the subcommand, as kubectl
// users expect (`kapply apply -f x --context y`).
func connectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "kubeconfig", Usage: "path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)"},
		&cli.StringFlag{Name: "context", Usage: "the kubeconfig context to use"},
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace for namespaced objects that name none"},
		&cli.DurationFlag{Name: "request-timeout", Usage: "time limit for each request to the API server (0: none)"},
		verbosityFlag(),
	}
}

// configOptions reads the connection flags wherever on the command line
// they were given.
func configOptions(c *cli.Context) dynamicx.ConfigOptions {
	opts := dynamicx.DefaultConfigOptions()
	opts.UserAgent = "kapply/" + clientVersion()
	for _, ctx := range c.Lineage() {
		if ctx.Command == nil && ctx.App == nil {
			continue
		}
		if opts.Kubeconfig == "" {
			opts.Kubeconfig = ctx.String("kubeconfig")
		}
		if opts.Context == "" {
			opts.Context = ctx.String("context")
		}
		if opts.Namespace == "" {
			opts.Namespace = ctx.String("namespace")
		}
		if opts.RequestTimeout == 0 {
			opts.RequestTimeout = ctx.Duration("request-timeout")
		}
	}
	return opts
}
