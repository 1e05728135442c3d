package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// readInput reads the manifests named by -f and -R, or renders the
// kustomization of -k (within --max-input-bytes, for the commands that have
// it). An error carries exit code 2: nothing has been sent yet.
func readInput(c *cli.Context, s streams) ([]manifests.Object, error) {
	opts := manifests.DefaultReadOptions()
	opts.Paths = c.StringSlice("filename")
	opts.Kustomize = c.String("kustomize")
	opts.Recursive = c.Bool("recursive")
	opts.MaxTotalBytes = c.Int64("max-input-bytes") // 0, the default, where undefined
	opts.Stdin = s.in
	objs, err := manifests.Read(c.Context, opts)
	return objs, withCode(exitUsage, err)
}

// connectCluster builds the clients from the connection flags and, for the
// commands that have them, --qps, --burst and --cache-dir. Server warnings
// that belong to no object go to stderr.
func connectCluster(c *cli.Context, s streams) (*dynamicx.Clients, error) {
	opts := configOptions(c)
	opts.QPS = float32(c.Float64("qps"))
	opts.Burst = c.Int("burst")
	opts.Warn = func(text string) { fmt.Fprintf(s.err, "warning: %s\n", text) }
	clients, err := connect(opts, c.String("cache-dir"), s)
	return clients, withCode(exitUsage, err)
}
