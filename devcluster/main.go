// Command devcluster is a local Kubernetes control plane for kapply's demo,
// tests and benchmarks: one multi-call binary holding etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok and kubectl, and the
// commands that start and stop them together on loopback.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kapply-dev/kapply/devcluster/cluster"
)

const usage = `devcluster: a real local Kubernetes control plane, on loopback only

usage:
  devcluster up --dir DIR [--nodes N] [--minimal] [--timeout D]
      start etcd, kube-apiserver and (unless --minimal) kube-controller-manager,
      kube-scheduler and kwok with N fake nodes (default 1); write DIR/kubeconfig
  devcluster down --dir DIR
      stop everything started in DIR and remove DIR
  devcluster run [--nodes N] [--minimal] [--timeout D] -- CMD ARGS...
      start a cluster in a temporary dir, run CMD with KUBECONFIG set, tear the
      cluster down whatever happens, exit with CMD's status
  devcluster kubectl ARGS...
      the bundled kubectl
  devcluster etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok ARGS...
      one component, as its own binary would run
`

func main() {
	if len(os.Args) > 1 {
		if run, ok := components[os.Args[1]]; ok {
			os.Args = os.Args[1:]
			os.Exit(run())
		}
	}
	os.Exit(runCLI(os.Args[1:], os.Stdout, os.Stderr))
}

func runCLI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fs := flag.NewFlagSet("devcluster "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := cluster.DefaultOptions("")
	fs.IntVar(&opts.Nodes, "nodes", opts.Nodes, "number of kwok fake nodes")
	fs.BoolVar(&opts.Minimal, "minimal", false, "etcd and kube-apiserver only")
	fs.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "give up starting after this long")
	if args[0] != "run" {
		fs.StringVar(&opts.Dir, "dir", "", "cluster data directory")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if opts.Minimal && !flagSet(fs, "nodes") {
		opts.Nodes = 0
	}
	opts.Log = func(format string, a ...any) { fmt.Fprintf(stderr, "devcluster: "+format+"\n", a...) }

	switch args[0] {
	case "up":
		start := time.Now()
		c, err := cluster.Up(ctx, opts)
		if err != nil {
			fmt.Fprintf(stderr, "devcluster up: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "cluster ready in %s; to use it:\n  export KUBECONFIG=%s\n  devcluster kubectl get nodes\nstop it with:\n  devcluster down --dir %s\n",
			time.Since(start).Round(100*time.Millisecond), c.Kubeconfig, c.Dir)
		return 0
	case "down":
		if opts.Dir == "" {
			fmt.Fprintln(stderr, "devcluster down: --dir is required")
			return 2
		}
		if err := cluster.Down(opts.Dir); err != nil {
			fmt.Fprintf(stderr, "devcluster down: %v\n", err)
			return 1
		}
		return 0
	case "run":
		code, err := cluster.Run(ctx, opts, fs.Args())
		if err != nil {
			fmt.Fprintf(stderr, "devcluster run: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		return code
	default:
		fmt.Fprintf(stderr, "devcluster: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
