package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/apply/applyset"
)

// DiffSchema versions the per-object lines of `diff -o json`; the last
// line is a SummarySchema object. A field is only ever added within a
// version.
const DiffSchema = "kapply.dev/diff/v1"

const diffDescription = `Each object is sent as apply would send it (server-side apply, same field
manager and options) with dryRun=All, and the result is compared with the
live object. Changed and new objects are printed as a unified diff of their
YAML; fields the server writes on its own (managedFields, resourceVersion,
generation, uid, creationTimestamp, status) are left out. Secret values and
annotations that carry an object's content are never shown, only whether
they change.

Exit codes: 0 no differences, 1 differences, 2 invalid input or usage,
4 some objects could not be diffed (an immutable field would change: apply
would refuse them; or the dry run failed), 130 interrupted.`

func diffCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:        "diff",
		Usage:       "show what apply would change, from a server-side dry run (Secret values masked)",
		UsageText:   "kapply diff -f PATH [-f PATH...] [flags]\n   kapply diff -k DIR [flags]",
		Description: diffDescription,
		Flags:       diffFlags(),
		Action:      func(c *cli.Context) error { return runDiff(c, s) },
	}
}

// diffFlags are apply's, less those for writing (--dry-run) and waiting
// (--crd-timeout).
func diffFlags() []cli.Flag {
	var flags []cli.Flag
	for _, f := range writeFlags() {
		switch f.Names()[0] {
		case "dry-run", "crd-timeout":
			continue
		case "concurrency":
			f.(*cli.IntFlag).Usage = "objects compared in parallel"
		case "output":
			f.(*cli.StringFlag).Usage = "output format: text, json (one object per line), or markdown (a summary for a pull-request comment)"
		}
		flags = append(flags, f)
	}
	return concat(connectionFlags(), inputFlags(), flags,
		&cli.BoolFlag{Name: "force-conflicts", Usage: "diff as apply --force-conflicts would apply: take over fields owned by other field managers"},
		&cli.BoolFlag{Name: "force-replace", Usage: "diff as apply --force-replace would apply: an object whose immutable fields change would be replaced"},
		migrateFromFlag(),
		&cli.StringFlag{Name: "applyset", Usage: "diff as apply --applyset would apply"},
		&cli.BoolFlag{Name: "prune", Usage: "with --applyset: also list the members apply --prune would delete"},
		&cli.BoolFlag{Name: "prune-namespaces", Usage: "with --prune: as apply --prune-namespaces"},
		&cli.BoolFlag{Name: "prune-crds", Usage: "with --prune: as apply --prune-crds"},
		&cli.BoolFlag{Name: "applyset-takeover", Usage: "as apply --applyset-takeover"},
	)
}

// diffOptions turns flags into engine options.
func diffOptions(c *cli.Context) (apply.DiffOptions, error) {
	opts := apply.DefaultDiffOptions()
	opts.FieldManager = c.String("field-manager")
	opts.Concurrency = c.Int("concurrency")
	opts.ForceConflicts = c.Bool("force-conflicts")
	opts.ForceReplace = c.Bool("force-replace")
	opts.MigrateFrom = c.StringSlice("migrate-from")
	v, err := parseValidation(c.String("validate"))
	if err != nil {
		return opts, err
	}
	opts.Validation = v
	return opts, opts.Validate()
}

func runDiff(c *cli.Context, s streams) error {
	ctx := c.Context
	format := c.String("output")
	if format == "markdown" {
		format = "text"
	}
	out, err := newPrinter(format, s)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("%w, or markdown for diff", err))
	}
	opts, err := diffOptions(c)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if c.String("applyset") != "" {
		opts.ApplySet = &applyset.Options{
			Parent: c.String("applyset"), Tooling: "kapply/" + clientVersion(), Takeover: c.Bool("applyset-takeover"),
			Prune: c.Bool("prune"), PruneNamespaces: c.Bool("prune-namespaces"), PruneCRDs: c.Bool("prune-crds"),
		}
	} else if c.Bool("prune") {
		return withCode(exitUsage, errors.New("--prune needs --applyset: kapply only prunes what an ApplySet records as its own"))
	}
	objs, err := readInput(c, s)
	if err != nil {
		return err
	}
	clients, err := connectCluster(c, s)
	if err != nil {
		return err
	}
	ds, err := (&apply.Applier{Clients: clients}).Diff(ctx, objs, opts)
	if err != nil {
		if errors.Is(err, apply.ErrPruneRefused) && ctx.Err() == nil {
			return withCode(exitNotDiffable, err)
		}
		return engineExit(ctx, err)
	}
	external, err := externalDiffCommand()
	if err != nil {
		return withCode(exitUsage, err)
	}
	if external != nil && c.String("output") == "text" {
		out.diffErrors(ds)
		if err := runExternalDiff(external, ds, s); err != nil {
			return withCode(exitFailed, err)
		}
	} else if c.String("output") == "markdown" {
		for _, r := range ds.Results {
			for _, w := range r.Warnings {
				fmt.Fprintf(s.err, "warning: %s: %s\n", r.Ref, w)
			}
		}
		diffMarkdown(s.out, ds)
	} else {
		out.diffs(ds)
	}
	warnRun(s, ds.Warnings)
	switch {
	case ctx.Err() != nil:
		return withCode(exitInterrupted, errors.New("interrupted: some objects were not compared"))
	case ds.Failed():
		failed := ds.Count(apply.DiffImmutable) + ds.Count(apply.DiffError)
		return withCode(exitNotDiffable, fmt.Errorf("%s could not be diffed", apply.OfObjects(failed, len(ds.Results))))
	case ds.Changed():
		return exitSilently(exitDiffers)
	}
	return nil
}

type jsonDiff struct {
	Schema string     `json:"schema"`
	Object jsonObject `json:"object"`
	Source jsonSource `json:"source"`
	Action string     `json:"action"`
	Note   string     `json:"note,omitempty"`
	// MigratedFrom: the field managers apply would take over.
	MigratedFrom []string `json:"migratedFrom,omitempty"`
	// DependsOn: the objects apply writes it after (depends-on).
	DependsOn []jsonObject `json:"dependsOn,omitempty"`
	Paths     []string     `json:"paths,omitempty"`
	Diff      string       `json:"diff,omitempty"`
	Error     string       `json:"error,omitempty"`
	Warnings  []string     `json:"warnings,omitempty"`
	// Immutable: why apply would be refused (action immutable).
	Immutable *jsonImmutable `json:"immutable,omitempty"`
}

// diffs prints a DiffSet: with text, the unified diffs on stdout and the
// objects that could not be diffed on stderr; with json, one line per
// object and a summary. Warnings go to stderr either way.
func (p *printer) diffs(ds *apply.DiffSet) {
	for _, r := range ds.Results {
		for _, w := range r.Warnings {
			fmt.Fprintf(p.s.err, "warning: %s: %s\n", r.Ref, w)
		}
	}
	if p.json {
		enc := json.NewEncoder(p.s.out)
		sum := jsonSummary{Schema: SummarySchema, Total: len(ds.Results), Actions: map[string]int{}, DurationSeconds: ds.Duration.Seconds()}
		for _, r := range ds.Results {
			jd := jsonDiff{
				Schema: DiffSchema,
				Object: jsonObject{Group: r.Ref.Group, Kind: r.Ref.Kind, Namespace: r.Ref.Namespace, Name: r.Ref.Name},
				Source: jsonSource{Path: r.Source.Path, Doc: r.Source.Doc, Line: r.Source.Line, Item: r.Source.Item},
				Action: string(r.Action), Note: r.Note, Paths: r.Paths, Diff: r.Diff, Warnings: r.Warnings,
				MigratedFrom: r.MigratedFrom, DependsOn: jsonObjects(r.DependsOn),
			}
			if r.Err != nil {
				jd.Error, jd.Immutable = r.Err.Error(), immutableJSON(r.Err)
			}
			sum.Actions[string(r.Action)]++
			_ = enc.Encode(jd)
		}
		for _, r := range ds.Prune {
			jd := jsonDiff{
				Schema: DiffSchema,
				Object: jsonObject{Group: r.Ref.Group, Kind: r.Ref.Kind, Namespace: r.Ref.Namespace, Name: r.Ref.Name},
				Source: jsonSource{Path: r.Source.Path},
				Action: map[apply.Action]string{apply.Pruned: "prune", apply.Kept: "keep"}[r.Action],
			}
			if r.Err != nil {
				jd.Note = r.Err.Error()
			}
			sum.Total++
			sum.Actions[jd.Action]++
			_ = enc.Encode(jd)
		}
		_ = enc.Encode(sum)
		return
	}
	defer func() {
		for _, r := range ds.Prune {
			if r.Action == apply.Pruned {
				fmt.Fprintf(p.s.out, "# %s: prune (%s)\n", r.Ref, r.Source.Path)
			} else {
				fmt.Fprintf(p.s.out, "# %s: keep (%s): %v\n", r.Ref, r.Source.Path, r.Err)
			}
		}
	}()
	for _, r := range ds.Results {
		switch {
		case r.Err != nil:
			fmt.Fprintf(p.s.err, "error: %s (%s): %v\n", r.Ref, r.Source, r.Err)
		case r.Action == apply.DiffReplace:
			fmt.Fprintf(p.s.out, "# %s (%s): would be replaced: %s %s immutable\n", r.Ref, r.Source, strings.Join(r.Paths, ", "), isAre(len(r.Paths)))
		case r.Diff != "" || r.Note == apply.NoteOwnershipOnly:
			note := ""
			if r.Note != "" {
				note = " (" + r.Note + ")"
			}
			if len(r.MigratedFrom) > 0 {
				note += " (" + migratedNote(r.MigratedFrom) + ")"
			}
			if len(r.DependsOn) > 0 {
				note += " (" + afterNote(r.DependsOn) + ")"
			}
			fmt.Fprintf(p.s.out, "# %s (%s): %s%s\n%s", r.Ref, r.Source, r.Action, note, r.Diff)
		}
	}
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// diffErrors prints, on stderr, the objects that could not be diffed.
func (p *printer) diffErrors(ds *apply.DiffSet) {
	for _, r := range ds.Results {
		if r.Err != nil {
			fmt.Fprintf(p.s.err, "error: %s (%s): %v\n", r.Ref, r.Source, r.Err)
		}
	}
}
