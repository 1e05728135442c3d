package apply

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kapply-dev/kapply/apply/applyset"
	"github.com/kapply-dev/kapply/apply/readiness"
	"github.com/kapply-dev/kapply/dynamicx"
)

// Mode is how objects are written.
type Mode string

// Write modes.
const (
	// ServerSideApply sends each object as a server-side apply patch
	// owned by Options.FieldManager. The default.
	ServerSideApply Mode = "apply"
	// Update is client-side apply, as kubectl apply without
	// --server-side: the last-applied-configuration annotation and a
	// three-way merge patch (see clientside.go), for servers or policies
	// that do not allow server-side apply.
	Update Mode = "update"
	// Create only creates: an object that exists is an error for it (as
	// `kubectl create -f`).
	Create Mode = "create"
)

// DryRun says whether and where a run is only simulated.
type DryRun string

// Dry-run kinds.
const (
	DryRunNone DryRun = ""
	// DryRunServer sends every request with dryRun=All: admission,
	// defaulting and validation run, nothing is stored.
	DryRunServer DryRun = "server"
	// DryRunClient only plans: the order and what would be created or
	// configured, from metadata reads. Nothing is sent that writes.
	DryRunClient DryRun = "client"
)

// Validation maps to the API server's field validation.
type Validation string

// Field validation levels.
const (
	ValidateStrict Validation = "Strict"
	ValidateWarn   Validation = "Warn"
	ValidateIgnore Validation = "Ignore"
)

// Options configures one run of the engine.
type Options struct {
	Mode           Mode
	FieldManager   string
	ForceConflicts bool
	// ForceReplace deletes and re-creates any object whose change the
	// server refuses because a field is immutable, as ReplaceAnnotation
	// does for one object.
	ForceReplace bool
	// MigrateFrom names field managers (other tools: helm, kapp, an old
	// field manager) whose fields server-side apply takes over before
	// applying, so that fields the manifest dropped are removed. The
	// client-side managers of kubectl apply and kapply's own Update
	// entries are always taken (see migrate.go).
	MigrateFrom []string
	DryRun      DryRun
	Validation  Validation
	// Concurrency is the number of objects written in parallel within a
	// stage.
	Concurrency int
	// CRDTimeout bounds the wait for CRDs of the bundle to be Established.
	CRDTimeout time.Duration
	// UpdateRetries bounds the re-reads after a 409 Conflict in Update mode.
	UpdateRetries int
	// Retry is the policy for writes that failed transiently (see
	// retry.go for which writes are repeated, and how).
	Retry dynamicx.RetryOptions
	// ApplySet, when set, makes the run one of an ApplySet: members are
	// labelled, the parent records them, and with Prune the members that
	// left the input are deleted.
	ApplySet *applyset.Options
	// DependencyTimeout bounds the wait for each depends-on dependency to
	// be ready (see depends.go); Ready is what ready means, as for --wait.
	DependencyTimeout time.Duration
	Ready             readiness.Options
	// WebhookTimeout bounds how long a write refused because an admission
	// webhook cannot be reached is tried again (see webhook.go).
	WebhookTimeout time.Duration
	// Waiting, when set, is called when an object starts waiting before
	// it is written (a dependency), from any goroutine (calls are
	// serialised with Progress).
	Waiting func(Waiting)
	// Progress, when set, is called once per object as soon as its result
	// is known, from any goroutine (calls are serialised).
	Progress func(Result)
}

// DefaultOptions returns server-side apply as field manager "kapply",
// strict validation and 32 parallel writes.
func DefaultOptions() Options {
	return Options{
		Mode:              ServerSideApply,
		FieldManager:      "kapply",
		Validation:        ValidateStrict,
		Concurrency:       32,
		CRDTimeout:        time.Minute,
		DependencyTimeout: 5 * time.Minute,
		WebhookTimeout:    2 * time.Minute,
		UpdateRetries:     5,
		Retry:             dynamicx.DefaultRetryOptions(),
	}
}

// Validate reports options that cannot be used.
func (o *Options) Validate() error {
	var errs []error
	switch o.Mode {
	case ServerSideApply, Update, Create:
	default:
		errs = append(errs, fmt.Errorf("unknown mode %q: use apply, update or create", o.Mode))
	}
	switch o.DryRun {
	case DryRunNone, DryRunServer, DryRunClient:
	default:
		errs = append(errs, fmt.Errorf("unknown dry-run %q: use server or client", o.DryRun))
	}
	switch o.Validation {
	case ValidateStrict, ValidateWarn, ValidateIgnore:
	default:
		errs = append(errs, fmt.Errorf("unknown validation %q: use strict, warn or ignore", o.Validation))
	}
	if o.FieldManager == "" {
		errs = append(errs, errors.New("a field manager is required"))
	}
	if len(o.MigrateFrom) > 0 && o.Mode != ServerSideApply {
		errs = append(errs, errors.New("--migrate-from only applies to server-side apply"))
	}
	if slices.Contains(o.MigrateFrom, o.FieldManager) {
		errs = append(errs, fmt.Errorf("--migrate-from %s names the field manager of the run itself", o.FieldManager))
	}
	if o.ForceConflicts && o.Mode != ServerSideApply {
		errs = append(errs, errors.New("--force-conflicts only applies to server-side apply"))
	}
	if o.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency must be at least 1, got %d", o.Concurrency))
	}
	if o.ApplySet != nil && o.ApplySet.Parent == "" {
		errs = append(errs, errors.New("an ApplySet needs a parent: --applyset [RESOURCE][.GROUP]/NAME"))
	}
	if o.ApplySet != nil && o.ApplySet.Tooling == "" {
		errs = append(errs, errors.New("an ApplySet needs a tooling name"))
	}
	if o.ApplySet != nil && o.ApplySet.MaxPrune < 0 {
		errs = append(errs, fmt.Errorf("max-prune must not be negative, got %d", o.ApplySet.MaxPrune))
	}
	if o.DependencyTimeout <= 0 {
		errs = append(errs, fmt.Errorf("the wait timeout must be positive, got %s", o.DependencyTimeout))
	}
	if o.WebhookTimeout <= 0 {
		errs = append(errs, errors.New("the webhook timeout must be positive"))
	}
	if o.CRDTimeout <= 0 {
		errs = append(errs, errors.New("the CRD wait timeout must be positive"))
	}
	if err := o.Retry.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
