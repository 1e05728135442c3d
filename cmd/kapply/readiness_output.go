package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/apply/watcher"
)

// Schemas of the JSON lines the wait and status commands print. A field
// is only ever added within a version.
const (
	// WaitEventSchema: one line per change of an object's readiness
	// while waiting (kapply wait, kapply apply --wait).
	WaitEventSchema = "kapply.dev/wait-event/v1"
	// StatusSchema: one line per object of kapply status.
	StatusSchema = "kapply.dev/status/v1"
	// ReadinessSummarySchema: the last line of a wait or a status.
	ReadinessSummarySchema = "kapply.dev/readiness-summary/v1"
)

type jsonPods struct {
	Ready   int64 `json:"ready"`
	Desired int64 `json:"desired"`
}

type jsonReadiness struct {
	Schema  string     `json:"schema,omitempty"`
	Object  jsonObject `json:"object"`
	Source  jsonSource `json:"source"`
	State   string     `json:"state"`
	Message string     `json:"message,omitempty"`
	Pods    *jsonPods  `json:"pods,omitempty"`
}

type jsonReadinessSummary struct {
	Schema string `json:"schema"`
	// Result: ready, not-ready (status), failed, timeout or interrupted.
	Result          string          `json:"result"`
	Total           int             `json:"total"`
	States          map[string]int  `json:"states"`
	NotReady        []jsonReadiness `json:"notReady,omitempty"`
	DurationSeconds float64         `json:"durationSeconds,omitempty"`
}

func readinessJSON(schema string, ts watcher.TargetStatus) jsonReadiness {
	r := ts.Resolved.Ref
	jr := jsonReadiness{
		Schema:  schema,
		Object:  jsonObject{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name},
		Source:  jsonSource{Path: ts.Source.Path, Doc: ts.Source.Doc, Line: ts.Source.Line, Item: ts.Source.Item},
		State:   string(ts.State),
		Message: ts.Message,
	}
	if ts.Pods != nil {
		jr.Pods = &jsonPods{Ready: ts.Pods.Ready, Desired: ts.Pods.Desired}
	}
	return jr
}

var stateOrder = []readiness.State{readiness.StateCurrent, readiness.StateInProgress, readiness.StateFailed, readiness.StateNotFound, readiness.StateTerminating, readiness.StateUnknown}

// countStates is "3 objects: 2 ready, 1 in progress": ready always, the
// other states when some object is in them.
func countStates(statuses []watcher.TargetStatus) string {
	counts := map[readiness.State]int{}
	for _, ts := range statuses {
		counts[ts.State]++
	}
	var parts []string
	for _, st := range stateOrder {
		if n := counts[st]; n > 0 || st == readiness.StateCurrent {
			parts = append(parts, fmt.Sprintf("%d %s", n, st.Label()))
		}
	}
	return fmt.Sprintf("%s: %s", apply.CountObjects(len(statuses)), strings.Join(parts, ", "))
}

// readinessSummary ends a wait or a status: a count line, or a JSON
// summary naming every object not ready. The reasons go to stderr with
// the error, in text mode.
func (p *printer) readinessSummary(statuses []watcher.TargetStatus, result string, took time.Duration) {
	if !p.json {
		fmt.Fprintln(p.s.out, countStates(statuses))
		return
	}
	sum := jsonReadinessSummary{Schema: ReadinessSummarySchema, Result: result, Total: len(statuses), States: map[string]int{}, DurationSeconds: took.Seconds()}
	for _, ts := range statuses {
		sum.States[string(ts.State)]++
		if ts.State != readiness.StateCurrent {
			sum.NotReady = append(sum.NotReady, readinessJSON("", ts))
		}
	}
	_ = json.NewEncoder(p.s.out).Encode(sum)
}

// statusTable prints kapply status: one row per object, in input order.
func (p *printer) statusTable(statuses []watcher.TargetStatus) {
	if p.json {
		enc := json.NewEncoder(p.s.out)
		for _, ts := range statuses {
			_ = enc.Encode(readinessJSON(StatusSchema, ts))
		}
		return
	}
	tw := tabwriter.NewWriter(p.s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OBJECT\tSTATE\tPODS\tMESSAGE")
	for _, ts := range statuses {
		pods := "-"
		if ts.Pods != nil {
			pods = ts.Pods.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ts.Resolved.Ref, ts.State.Label(), pods, ts.Message)
	}
	_ = tw.Flush()
}
