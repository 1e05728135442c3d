package manifests

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

const kustomizeGroup = "kustomize.config.k8s.io"

// checker collects the problems of one object, each at the position of the
// field at fault or, for a missing field, of the object.
type checker struct {
	d    decoded
	errs []error
}

func (c *checker) fail(at mark, format string, args ...any) {
	c.failWith(at, fmt.Errorf(format, args...))
}

func (c *checker) failWith(at mark, err error) {
	if !at.known() {
		at = c.d.marks.start
	}
	if !at.known() {
		at = mark{1, 1}
	}
	c.errs = append(c.errs, &DecodeError{Source: c.d.Source, Line: at.line, Col: at.col, Err: err})
}

// requireString checks a field that must be a non-empty string. A missing
// field is reported at the object (where it should be added), a wrong one at
// its key.
func (c *checker) requireString(name string, m map[string]any, key string, at mark) (string, bool) {
	v, present := m[key]
	if !present {
		c.fail(c.d.marks.start, "%s is required", name)
		return "", false
	}
	switch s, ok := v.(string); {
	case v == nil:
		c.fail(at, "%s is required", name)
	case !ok:
		c.fail(at, "%s must be a string, not %s", name, describeNonString(v))
	case s == "":
		c.fail(at, "%s must not be empty", name)
	default:
		return s, true
	}
	return "", false
}

// validate checks what the API server would otherwise reject late, or what
// must not reach it at all.
func validate(d decoded) []error {
	c := &checker{d: d}
	obj := d.Obj.Object
	if isKustomization(d) {
		c.failWith(d.marks.kind, refused(refusedKustomization, "%s", kustomizationHint(d.Source.Path)))
		return c.errs
	}
	if v, ok := c.requireString("apiVersion", obj, "apiVersion", d.marks.apiVersion); ok {
		if _, err := schema.ParseGroupVersion(v); err != nil {
			c.fail(d.marks.apiVersion, "apiVersion must be VERSION or GROUP/VERSION")
		}
	}
	c.requireString("kind", obj, "kind", d.marks.kind)
	c.metadata(obj)
	return c.errs
}

func (c *checker) metadata(obj map[string]any) {
	m := c.d.marks
	meta, present := obj["metadata"]
	if !present || meta == nil {
		c.fail(m.metadata, "metadata.name is required")
		return
	}
	mm, ok := meta.(map[string]any)
	if !ok {
		c.fail(m.metadata, "metadata must be a mapping, not %s", describe(meta))
		return
	}
	if gn, _ := mm["generateName"].(string); gn != "" || mm["generateName"] != nil && !isString(mm["generateName"]) {
		c.failWith(m.generateName, refused(refusedGenerateName, "metadata.generateName is not supported: apply must be idempotent, and generateName makes the server create a new object on every run; set metadata.name instead"))
		return
	}
	if _, present := mm["name"]; !present {
		c.fail(m.metadata, "metadata.name is required")
	} else {
		c.requireString("metadata.name", mm, "name", m.name)
	}
	if ns, present := mm["namespace"]; present && ns != nil && !isString(ns) {
		c.fail(m.namespace, "metadata.namespace must be a string, not %s", describeNonString(ns))
	}
}

// describeNonString names the type of a value that should have been a
// string, with a hint for the YAML 1.1 booleans that catch people out.
func describeNonString(v any) string {
	if _, ok := v.(bool); ok {
		return "a boolean (quote it: unquoted y, n, yes, no, on, off, true and false are booleans)"
	}
	return describe(v)
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// isKustomization recognises a kustomize input: kind Kustomization or
// Component of kustomize.config.k8s.io, or a file named like one with no
// apiVersion or kind (kustomize lets both be left out).
func isKustomization(d decoded) bool {
	apiVersion, _ := d.Obj.Object["apiVersion"].(string)
	kind, _ := d.Obj.Object["kind"].(string)
	if strings.HasPrefix(apiVersion, kustomizeGroup+"/") && (kind == "Kustomization" || kind == "Component") {
		return true
	}
	return isKustomizationFile(d.Source.Path) && (apiVersion == "" || kind == "")
}

func isKustomizationFile(p string) bool {
	switch path.Base(filepath.ToSlash(p)) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// kustomizationHint says why a kustomization is refused with -f and what to
// run instead (-k renders it); without it the user would get "no matches for kind" from the
// API server after other objects were already applied.
func kustomizationHint(p string) string {
	what, dir := "a Kustomization", "DIR"
	if isKustomizationFile(p) {
		what = path.Base(filepath.ToSlash(p))
	}
	if p != "-" && !isURL(p) {
		dir = filepath.Dir(p)
	}
	return fmt.Sprintf("%s is a kustomize input, not a Kubernetes object: give its directory with -k instead of -f (`kapply apply -k %s`)", what, dir)
}

// checkDuplicates refuses an object given twice: the second would silently
// overwrite the first, and which one wins would depend on input order.
func checkDuplicates(ds []decoded) []error {
	seen := make(map[ObjectKey]int, len(ds))
	var errs []error
	for i, d := range ds {
		k := d.Key()
		j, dup := seen[k]
		if !dup {
			seen[k] = i
			continue
		}
		at := d.marks.name
		if !at.known() {
			at = d.marks.start
		}
		first := ds[j].Source
		errs = append(errs, &DecodeError{Source: d.Source, Line: at.line, Col: at.col,
			Err: refused(refusedDuplicateObject, "duplicate object %s: also defined at %s:%d", k, first, first.Line)})
	}
	return errs
}
