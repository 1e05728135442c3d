package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/kapply-dev/kapply/apply"
)

// diffMarkdown prints a DiffSet for a pull-request comment: a count of
// the actions, a table of the objects that change (action, source,
// changed paths), each changed object's unified diff in a collapsible
// block, the objects that could not be diffed, and the prune candidates.
// The diffs are the text output's: Secret values are masked in them.
func diffMarkdown(w io.Writer, ds *apply.DiffSet) {
	counts := map[apply.DiffAction]int{}
	for _, r := range ds.Results {
		counts[r.Action]++
	}
	var parts []string
	for _, a := range []apply.DiffAction{apply.DiffCreate, apply.DiffUpdate, apply.DiffUnchanged, apply.DiffImmutable, apply.DiffError} {
		if counts[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
		}
	}
	pruned := 0
	for _, r := range ds.Prune {
		if r.Action == apply.Pruned {
			pruned++
		}
	}
	if pruned > 0 {
		parts = append(parts, fmt.Sprintf("%d prune", pruned))
	}
	fmt.Fprintf(w, "### kapply diff: %s\n", strings.Join(parts, ", "))
	var changed []apply.DiffResult
	for _, r := range ds.Results {
		if r.Action != apply.DiffUnchanged {
			changed = append(changed, r)
		}
	}
	if len(changed) > 0 || len(ds.Prune) > 0 {
		fmt.Fprint(w, "\n| object | action | source | changed paths |\n| --- | --- | --- | --- |\n")
		for _, r := range changed {
			action := string(r.Action)
			if r.Note != "" {
				action += " (" + r.Note + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", code(r.Ref.String()), cell(action), code(r.Source.String()), codes(r.Paths))
		}
		for _, r := range ds.Prune {
			action := map[apply.Action]string{apply.Pruned: "prune", apply.Kept: "keep"}[r.Action]
			if r.Err != nil {
				action += " (" + r.Err.Error() + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | |\n", code(r.Ref.String()), cell(action), code(r.Source.Path))
		}
	}
	for _, r := range changed {
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "\n**%s**: %s\n", cell(r.Ref.String()), cell(r.Err.Error()))
		case r.Diff != "":
			fence := "```"
			for strings.Contains(r.Diff, fence) {
				fence += "`"
			}
			fmt.Fprintf(w, "\n<details><summary>%s: %s</summary>\n\n%sdiff\n%s%s\n\n</details>\n",
				htmlEscape(r.Ref.String()), r.Action, fence, r.Diff, fence)
		}
	}
}

// cell makes s safe inside a table cell: no line breaks, no column bars.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// code writes s as inline code in a table cell.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + cell(strings.ReplaceAll(s, "`", "'")) + "`"
}

func codes(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}

var htmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func htmlEscape(s string) string { return htmlReplacer.Replace(s) }
