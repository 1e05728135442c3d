package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/apply/applyset"
)

// applySetFlags make an apply part of an ApplySet and prune it.
func applySetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "applyset", Usage: "ApplySet parent [RESOURCE][.GROUP]/NAME (a bare NAME is a Secret in the namespace); members are labelled and tracked"},
		&cli.BoolFlag{Name: "prune", Usage: "with --applyset: delete members that are no longer in the input, after everything applied"},
		&cli.BoolFlag{Name: "allow-empty", Usage: "with --prune: accept an empty input, which deletes every member of the set"},
		&cli.BoolFlag{Name: "prune-namespaces", Usage: "with --prune: also prune Namespaces (and so everything in them)"},
		&cli.BoolFlag{Name: "prune-crds", Usage: "with --prune: also prune CRDs (and so all their custom resources)"},
		&cli.IntFlag{Name: "max-prune", Usage: "with --prune: refuse to prune more than this many objects (0: no limit)"},
		&cli.BoolFlag{Name: "overwrite-ownership", Usage: "adopt objects that belong to another ApplySet"},
		&cli.BoolFlag{Name: "applyset-takeover", Usage: "adopt an ApplySet whose parent was made by other tooling (e.g. kubectl)"},
	}
}

// applySetOptions reads the ApplySet flags; nil when --applyset is not set.
func applySetOptions(c *cli.Context) (*applyset.Options, error) {
	parent := c.String("applyset")
	if parent == "" {
		for _, f := range []string{"prune", "allow-empty", "prune-namespaces", "prune-crds", "max-prune", "overwrite-ownership", "applyset-takeover"} {
			if c.IsSet(f) {
				return nil, errors.New("--" + f + " needs --applyset: kapply only prunes what an ApplySet records as its own")
			}
		}
		return nil, nil
	}
	return &applyset.Options{
		Parent:             parent,
		Tooling:            "kapply/" + clientVersion(),
		Takeover:           c.Bool("applyset-takeover"),
		OverwriteOwnership: c.Bool("overwrite-ownership"),
		Prune:              c.Bool("prune"),
		AllowEmpty:         c.Bool("allow-empty"),
		PruneNamespaces:    c.Bool("prune-namespaces"),
		PruneCRDs:          c.Bool("prune-crds"),
		MaxPrune:           c.Int("max-prune"),
	}, nil
}
