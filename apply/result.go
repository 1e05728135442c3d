package apply

import (
	"time"

	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

// Action is what happened to one object.
type Action string

// Actions reported per object.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	// Replaced: deleted and created again, because a field that cannot
	// change had to (see ReplaceAnnotation).
	Replaced Action = "replaced"
	// Failed: the write was refused or could not be made; Err says why.
	Failed Action = "failed"
	// Skipped: not attempted, because an object it depends on (its
	// namespace, its CRD, a depends-on reference) failed, was skipped or
	// was not ready in time, or the run was interrupted.
	Skipped Action = "skipped"
)

// Result is the outcome for one object.
type Result struct {
	Ref    dynamicx.Ref
	Source manifests.Source
	Action Action
	// DryRun is true when nothing was stored.
	DryRun bool
	// Err is set for Failed and Skipped.
	Err error
	// Note is set on a dry run's result that the server could not check,
	// as its namespace or CRD is in the bundle and not created yet
	// (NoteNamespaceNotCreated, NoteCRDNotInstalled): the object is
	// reported as it would be created.
	Note string
	// Warnings the API server sent with the response (deprecations,
	// unknown fields under --validate=warn).
	Warnings []string
	// MigratedFrom names the field managers whose fields this run took
	// over before applying (see Options.MigrateFrom); with a dry run, the
	// ones it would take over.
	MigratedFrom []string
	// DependsOn are the objects it waited for (its depends-on
	// annotation), and Waited how long it waited for them.
	DependsOn []dynamicx.Ref
	Waited    time.Duration
	// Cascade names what a deletion takes with it: the custom resources
	// of a deleted CRD.
	Cascade string
	// Retries counts the requests for this object that were sent again,
	// or read back, after a transient failure (see dynamicx.Traffic).
	Retries int
}

// ChangeSet is the outcome of a run, one Result per input object in the
// order they were applied: stage by stage, and in input order within a
// stage (the objects of a stage are written in parallel).
type ChangeSet struct {
	Results  []Result
	Duration time.Duration
	// PruneErr says why a prune that was asked for did not run (it wraps
	// ErrPruneRefused); the ApplySet parent then keeps every old member.
	PruneErr error
	// Retries counts every retry of the run: the objects' and those of
	// discovery, prefetching lists and the ApplySet parent.
	Retries int
	// CRDWait is how long the run waited for the CRDs it created or
	// changed, and that its custom resources need, to be established: from
	// the end of the CRDs' writes until the last of them was (they are
	// waited for together; objects that do
	// not need them are written meanwhile). Zero when it wrote none.
	CRDWait time.Duration
	// CRDWaitAlone is the part of CRDWait after every object's result:
	// how long the run waited for nothing but its CRDs to be established.
	CRDWaitAlone time.Duration
	// Warnings are about the run as a whole, not one object: a kind the
	// ApplySet records that the server no longer serves.
	Warnings []string
}

// Count returns how many results have the action.
func (cs *ChangeSet) Count(a Action) int {
	n := 0
	for _, r := range cs.Results {
		if r.Action == a {
			n++
		}
	}
	return n
}

// Failed reports whether any object failed or was skipped, or a prune
// that was asked for did not run.
func (cs *ChangeSet) Failed() bool {
	return cs.Count(Failed)+cs.Count(Skipped) > 0 || cs.PruneErr != nil
}
