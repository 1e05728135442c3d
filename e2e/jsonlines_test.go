//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/bundlegen"
)

// The JSON lines of -o json, as README documents them. They are declared
// here, apart from the CLI's own types, so that a change to the published
// schema breaks these tests.
const (
	ResultSchema           = "kapply.dev/result/v1"
	SummarySchema          = "kapply.dev/summary/v1"
	DiffSchema             = "kapply.dev/diff/v1"
	WaitEventSchema        = "kapply.dev/wait-event/v1"
	StatusSchema           = "kapply.dev/status/v1"
	ReadinessSummarySchema = "kapply.dev/readiness-summary/v1"
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
	// Immutable: why the server refused the change.
	Immutable *jsonImmutable `json:"immutable,omitempty"`
}

// jsonImmutable is why the server refuses a change: the manifest's
// fields, their values (compact JSON, masked as in a diff) and the
// server's message on one line.
type jsonImmutable struct {
	Fields []struct {
		Path        string `json:"path"`
		ServerField string `json:"serverField,omitempty"`
		Old         string `json:"old,omitempty"`
		New         string `json:"new,omitempty"`
	} `json:"fields"`
	Server string `json:"server"`
}

type jsonSummary struct {
	Schema          string         `json:"schema"`
	Total           int            `json:"total"`
	Actions         map[string]int `json:"actions"`
	DurationSeconds float64        `json:"durationSeconds"`
	Retries         int            `json:"retries,omitempty"`
	CRDWaitSeconds  float64        `json:"crdWaitSeconds,omitempty"`
}

type jsonDiff struct {
	Schema   string     `json:"schema"`
	Object   jsonObject `json:"object"`
	Source   jsonSource `json:"source"`
	Action   string     `json:"action"`
	Note     string     `json:"note,omitempty"`
	Paths    []string   `json:"paths,omitempty"`
	Diff     string     `json:"diff,omitempty"`
	Error    string     `json:"error,omitempty"`
	Warnings []string   `json:"warnings,omitempty"`
	// Immutable: why apply would be refused (action immutable).
	Immutable *jsonImmutable `json:"immutable,omitempty"`
}

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
	Schema          string          `json:"schema"`
	Result          string          `json:"result"`
	Total           int             `json:"total"`
	States          map[string]int  `json:"states"`
	NotReady        []jsonReadiness `json:"notReady,omitempty"`
	DurationSeconds float64         `json:"durationSeconds,omitempty"`
}

type jsonVersion struct {
	Client      string `json:"clientVersion"`
	GoVersion   string `json:"goVersion"`
	Server      string `json:"serverVersion,omitempty"`
	ServerError string `json:"serverError,omitempty"`
}

// objectsOf turns a generated bundle's object list into result objects.
func objectsOf(objs []bundlegen.Object) []jsonObject {
	out := make([]jsonObject, len(objs))
	for i, o := range objs {
		out[i] = jsonObject(o)
	}
	return out
}

// parseJSONResults reads -o json output: result lines, then one summary.
func parseJSONResults(t *testing.T, stdout string) ([]jsonResult, jsonSummary) {
	t.Helper()
	var results []jsonResult
	var sum jsonSummary
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var probe struct{ Schema string }
		if err := json.Unmarshal([]byte(line), &probe); err != nil {
			t.Fatalf("stdout line is not JSON: %v: %q", err, line)
		}
		switch probe.Schema {
		case ResultSchema:
			var r jsonResult
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			results = append(results, r)
		case SummarySchema:
			if err := json.Unmarshal([]byte(line), &sum); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unknown schema %q in %q", probe.Schema, line)
		}
	}
	return results, sum
}
