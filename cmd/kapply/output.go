package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/dynamicx"
)

// ResultSchema and SummarySchema version the JSON lines of -o json. A
// field is only ever added within a version.
const (
	ResultSchema  = "kapply.dev/result/v1"
	SummarySchema = "kapply.dev/summary/v1"
)

type jsonObject struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

type jsonSource struct {
	Path string `json:"path"`
	Doc  int    `json:"doc"`
	Line int    `json:"line"`
	Item int    `json:"item,omitempty"`
}

type jsonResult struct {
	Schema   string     `json:"schema"`
	Object   jsonObject `json:"object"`
	Source   jsonSource `json:"source"`
	Action   string     `json:"action"`
	DryRun   bool       `json:"dryRun,omitempty"`
	Note     string     `json:"note,omitempty"`
	Error    string     `json:"error,omitempty"`
	Warnings []string   `json:"warnings,omitempty"`
	Retries  int        `json:"retries,omitempty"`
	// MigratedFrom: the field managers whose fields were taken over.
	MigratedFrom []string `json:"migratedFrom,omitempty"`
	// DependsOn: the objects it was written after (depends-on), and
	// WaitedSeconds how long it waited for them.
	DependsOn     []jsonObject `json:"dependsOn,omitempty"`
	WaitedSeconds float64      `json:"waitedSeconds,omitempty"`
	Cascade       string       `json:"cascade,omitempty"`
	// Immutable: why the server refused the change.
	Immutable *jsonImmutable `json:"immutable,omitempty"`
}

type jsonSummary struct {
	Schema          string         `json:"schema"`
	Total           int            `json:"total"`
	Actions         map[string]int `json:"actions"`
	DurationSeconds float64        `json:"durationSeconds"`
	Retries         int            `json:"retries,omitempty"`
	// CRDWaitSeconds: how long the run waited for the CRDs it wrote to
	// be established (apply.ChangeSet.CRDWait).
	CRDWaitSeconds float64 `json:"crdWaitSeconds,omitempty"`
	// CRDWaitAloneSeconds: the part of it after every object was written
	// (apply.ChangeSet.CRDWaitAlone).
	CRDWaitAloneSeconds float64 `json:"crdWaitAloneSeconds,omitempty"`
}

type printer struct {
	json bool
	s    streams
}

func newPrinter(format string, s streams) (*printer, error) {
	switch format {
	case "text", "":
		return &printer{s: s}, nil
	case "json":
		return &printer{json: true, s: s}, nil
	}
	return nil, fmt.Errorf("--output must be text or json, got %q", format)
}

var actionOrder = []apply.Action{apply.Created, apply.Configured, apply.Unchanged, apply.Replaced, apply.Pruned, apply.Kept, apply.Deleted, apply.Absent, apply.Failed, apply.Skipped}

// results prints one line per result and the summary; deleting says
// whether the run was a delete, whose summary counts only what happened.
func (p *printer) results(cs *apply.ChangeSet, deleting bool) {
	if p.json {
		enc := json.NewEncoder(p.s.out)
		sum := jsonSummary{Schema: SummarySchema, Total: len(cs.Results), Actions: map[string]int{}, DurationSeconds: cs.Duration.Seconds(), Retries: cs.Retries, CRDWaitSeconds: cs.CRDWait.Seconds(), CRDWaitAloneSeconds: cs.CRDWaitAlone.Seconds()}
		for _, r := range cs.Results {
			jr := jsonResult{
				Schema: ResultSchema,
				Object: jsonObject{Group: r.Ref.Group, Kind: r.Ref.Kind, Namespace: r.Ref.Namespace, Name: r.Ref.Name},
				Source: jsonSource{Path: r.Source.Path, Doc: r.Source.Doc, Line: r.Source.Line, Item: r.Source.Item},
				Action: string(r.Action), DryRun: r.DryRun, Note: r.Note, Warnings: r.Warnings, Retries: r.Retries,
				MigratedFrom: r.MigratedFrom, DependsOn: jsonObjects(r.DependsOn), WaitedSeconds: r.Waited.Seconds(),
				Cascade: r.Cascade,
			}
			if r.Err != nil {
				jr.Error, jr.Immutable = r.Err.Error(), immutableJSON(r.Err)
			}
			sum.Actions[string(r.Action)]++
			_ = enc.Encode(jr)
		}
		_ = enc.Encode(sum)
		return
	}
	dry := ""
	for _, r := range cs.Results {
		if r.DryRun {
			dry = " (dry run)"
		}
		line := fmt.Sprintf("%s %s%s", r.Ref, r.Action, dry)
		if len(r.MigratedFrom) > 0 {
			line += " (" + migratedNote(r.MigratedFrom) + ")"
		}
		if len(r.DependsOn) > 0 && r.Err == nil {
			line += " (" + afterNote(r.DependsOn) + ")"
		}
		if r.Note != "" {
			line += fmt.Sprintf(" (%s: the server could not check it)", r.Note)
		}
		if r.Cascade != "" {
			line += " (" + r.Cascade + ")"
		}
		if r.Err != nil {
			line += fmt.Sprintf(": %s: %v", r.Source, r.Err)
		}
		fmt.Fprintln(p.s.out, line)
	}
	// An apply always reports its three outcomes, even at 0; a delete
	// only what happened.
	var parts []string
	for _, a := range actionOrder {
		if n := cs.Count(a); n > 0 || (!deleting && (a == apply.Created || a == apply.Configured || a == apply.Unchanged)) {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	fmt.Fprintf(p.s.out, "%s%s: %s\n", apply.CountObjects(len(cs.Results)), dry, strings.Join(parts, ", "))
}

func jsonObjects(refs []dynamicx.Ref) []jsonObject {
	var out []jsonObject
	for _, r := range refs {
		out = append(out, jsonObject{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name})
	}
	return out
}

// afterNote names the objects one was written after (depends-on).
func afterNote(refs []dynamicx.Ref) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.String()
	}
	return "after " + strings.Join(names, ", ")
}
