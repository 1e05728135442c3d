package apply

import (
	"fmt"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapply-dev/kapply/apply/render"
)

// ForbiddenError is a read or write of one object that the API server's
// authorizer refused (403 Forbidden, RBAC). Its message is the server's,
// which names the user and the verb refused, followed by every verb the
// step needs on the resource: kapply reads an object before it writes
// it, so a refused read would otherwise hide the write that needs
// granting too.
type ForbiddenError struct {
	// Step is what kapply was doing: "server-side apply", "update", ...
	Step string
	// Verbs are the verbs Step needs on the object's resource.
	Verbs []string
	// Resource is the resource (plural) and its API group.
	Resource, Group string
	// Namespace is "" for a cluster-scoped object.
	Namespace string
	// Err is the server's answer.
	Err error
}

func (e *ForbiddenError) Error() string {
	where := "at the cluster scope"
	if e.Namespace != "" {
		where = fmt.Sprintf("in the namespace %q", e.Namespace)
	}
	return fmt.Sprintf("%v (%s needs %s on resource %q in API group %q %s)",
		e.Err, e.Step, strings.Join(e.Verbs, ", "), e.Resource, e.Group, where)
}

// Unwrap returns the server's answer.
func (e *ForbiddenError) Unwrap() error { return e.Err }

// authzDenial matches the authorizer's message for a resource request
// (k8s.io/apiserver responsewriters.forbiddenMessage). Admission also
// answers 403 (PodSecurity, a namespace being deleted), and those are not
// a matter of rights.
var authzDenial = regexp.MustCompile(`User ".*" cannot [a-z]+ resource "`)

// explainForbidden returns err, or when the authorizer refused it, a
// *ForbiddenError that lists the verbs step needs on item's resource.
func explainForbidden(err error, item *Item, step string, verbs ...string) error {
	if err == nil || !apierrors.IsForbidden(err) || !authzDenial.MatchString(err.Error()) {
		return err
	}
	fe := &ForbiddenError{Step: step, Verbs: verbs, Resource: item.Resolved.GVR.Resource, Group: item.Resolved.GVR.Group, Err: err}
	if item.Resolved.Namespaced {
		fe.Namespace = item.Resolved.Ref.Namespace
	}
	return fe
}

// stepVerbs names what a run does to each object and the verbs it needs:
// the metadata read that tells created from configured, then the write.
// A LIST that serves many objects of a stage at once is optional: when it
// is refused, objects are read one by one.
func (o *Options) stepVerbs() (string, []string) {
	switch {
	case o.DryRun == DryRunClient:
		return "a client-side dry run", []string{"get"}
	case o.Mode == Create:
		return "create", []string{"create"}
	case o.Mode == Update:
		return "update", []string{"get", "create", "patch"}
	}
	return "server-side apply", []string{"get", "patch"}
}

// finish prepares one write's result for the output: an RBAC refusal
// lists every verb the run needs, and a Secret's values are removed from
// what the server said.
func (r *run) finish(item *Item, res Result) Result {
	step, verbs := r.opts.stepVerbs()
	res.Err = explainForbidden(res.Err, item, step, verbs...)
	return redactResult(item, res)
}

// redactResult removes, when the item is a Secret, its values from the
// error and the warnings of its result: whatever the mode (apply, update,
// create), what the server says about a Secret reaches the output only
// through here.
func redactResult(item *Item, res Result) Result {
	red := render.NewRedactor(item.Resolved.Ref.GroupKind(), item.Object)
	if red == nil {
		return res
	}
	res.Err = red.Err(res.Err)
	for i, w := range res.Warnings {
		res.Warnings[i] = red.Redact(w)
	}
	return res
}
