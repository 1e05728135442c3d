package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// refuseArgs is every command's first check: kapply takes no positional
// arguments. urfave/cli stops reading flags at the first one, so a shell
// glob after -f (`-f k8s/*.yaml --dry-run=server` becomes `-f k8s/a.yaml
// k8s/b.yaml --dry-run=server`) would otherwise apply a.yaml for real and
// drop b.yaml and --dry-run without a word (issue 12, A). It runs before
// anything is read or sent.
func refuseArgs(c *cli.Context) error {
	if !c.Args().Present() {
		return nil
	}
	stray := c.Args().Slice()
	quoted := make([]string, len(stray))
	flags := false
	for i, a := range stray {
		quoted[i] = fmt.Sprintf("%q", a)
		flags = flags || strings.HasPrefix(a, "-") && a != "-"
	}
	noun := "argument"
	if len(stray) > 1 {
		noun = "arguments"
	}
	msg := fmt.Sprintf("unexpected %s %s: kapply %s reads manifests only through -f; give -f once per file (-f a.yaml -f b.yaml) or the directory (-f k8s/)",
		noun, strings.Join(quoted, " "), c.Command.Name)
	if flags {
		msg += "; flags after the first unexpected argument are not read either, so nothing was done"
	}
	return withCode(exitUsage, fmt.Errorf("%s", msg))
}
