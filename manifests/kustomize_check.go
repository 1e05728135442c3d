package manifests

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"
)

// preflight checks the kustomization tree under dir before kustomize runs,
// for what kapply refuses or what kustomize reports without naming the file:
//
//   - remote bases and files (URLs, git): kustomize would fetch them, with
//     HTTP or by running git; kapply renders from the disk only, so that a
//     run reads nothing it was not given and runs no program;
//   - Helm charts: kustomize would run helm;
//   - missing entries, files outside the kustomization's directory (the
//     load restrictor kubectl uses, RootOnly) and unknown top-level fields,
//     with the file, line and entry at fault.
func preflight(dir string) error {
	p := &preflighter{visited: make(map[string]bool)}
	p.visit(dir)
	return errors.Join(p.errs...)
}

type preflighter struct {
	visited map[string]bool
	errs    []error
}

// visit checks the kustomization of dir and, through its local bases and
// components, the whole tree. A directory reached twice is checked once.
func (p *preflighter) visit(dir string) {
	real, err := filepath.EvalSymlinks(dir)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil || p.visited[real] {
		return
	}
	p.visited[real] = true
	path := findKustFile(dir)
	if path == "" {
		return // kustomize says "unable to find one of ..." with the directory
	}
	kf, err := loadKustFile(path)
	if err != nil {
		p.errs = append(p.errs, err)
		return
	}
	p.errs = append(p.errs, kf.unknownFields()...)
	for _, f := range []string{"helmCharts", "helmChartInflationGenerator"} {
		if k, v := kf.field(f); k != nil && v != nil && len(v.Content) > 0 {
			p.errs = append(p.errs, kf.errorAt(k, "%s: %s", k.Value, helmRefusal))
		}
	}
	for _, field := range []string{"resources", "bases", "components"} {
		for _, e := range kf.listEntries(field) {
			p.resource(kf, dir, e)
		}
	}
	for _, field := range []string{"generators", "transformers", "validators"} {
		for _, e := range kf.listEntries(field) {
			p.plugin(kf, dir, e)
		}
	}
	for _, e := range kf.fileEntries() {
		p.file(kf, dir, e, true)
	}
}

const helmRefusal = "Helm chart inflation is not supported: kapply does not run programs (helm) to render; " +
	"render the chart with `helm template` and list its output under resources"

// resource checks an entry of resources, bases or components: a local file
// or directory (a directory is a kustomization of its own), never a URL.
func (p *preflighter) resource(kf *kustFile, dir string, e entry) {
	target := joinEntry(dir, e.value)
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir():
		p.visit(target)
	case err == nil:
		p.file(kf, dir, e, false)
	default:
		p.missing(kf, e, err)
	}
}

// plugin checks an entry of generators, transformers or validators: an
// inline configuration, a file or a directory of configurations. With
// plugins off, as in kubectl, only kustomize's built-in ones run; Helm's is
// refused as in helmCharts.
func (p *preflighter) plugin(kf *kustFile, dir string, e entry) {
	if strings.Contains(e.value, "\n") {
		if isHelmConfig([]byte(e.value)) {
			p.errs = append(p.errs, kf.errorAt(e.node, "%s: %s", e.name, helmRefusal))
		}
		return
	}
	target := joinEntry(dir, e.value)
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir():
		p.visit(target)
	case err == nil:
		if data, err := os.ReadFile(target); err == nil && isHelmConfig(data) {
			p.errs = append(p.errs, kf.errorAt(e.node, "%s %q: %s", e.name, e.value, helmRefusal))
		}
	default:
		p.missing(kf, e, err)
	}
}

// file checks an entry naming a file (a patch, a generator's source): local,
// inside the kustomization's directory. Inline patches are left alone.
func (p *preflighter) file(kf *kustFile, dir string, e entry, mustExist bool) {
	if strings.Contains(e.value, "\n") {
		return
	}
	target := joinEntry(dir, e.value)
	if _, err := os.Stat(target); err != nil {
		if mustExist {
			p.missing(kf, e, err)
		}
		return
	}
	real, err := filepath.EvalSymlinks(target)
	if err != nil {
		return
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		p.errs = append(p.errs, kf.errorAt(e.node, "%s %q: the file is outside the kustomization's directory; "+
			"kustomize, as kubectl runs it (load restrictor RootOnly), reads files only within it (a directory with a kustomization of its own may be outside)", e.name, e.value))
	}
}

// missing reports an entry that is not on the disk: a remote one is refused
// for what it is, anything else is missing.
func (p *preflighter) missing(kf *kustFile, e entry, err error) {
	switch {
	case isRemoteRef(e.value):
		p.errs = append(p.errs, kf.errorAt(e.node, "%s %q: remote bases and files are not supported: kapply does not fetch anything (no HTTP, no git) to render; "+
			"vendor it into the repository and list its local path", e.name, e.value))
	case errors.Is(err, fs.ErrNotExist):
		p.errs = append(p.errs, kf.errorAt(e.node, "%s %q: no such file or directory", e.name, e.value))
	default:
		p.errs = append(p.errs, kf.errorAt(e.node, "%s %q: %v", e.name, e.value, pathError(err)))
	}
}

// fileEntries lists the fields whose values are files kustomize loads.
func (kf *kustFile) fileEntries() []entry {
	var out []entry
	for _, f := range []string{"crds", "configurations", "patchesStrategicMerge"} {
		out = append(out, kf.listEntries(f)...)
	}
	for _, f := range []struct{ field, key string }{
		{"patches", "path"}, {"patchesJson6902", "path"}, {"replacements", "path"},
		{"configMapGenerator", "files"}, {"configMapGenerator", "envs"}, {"configMapGenerator", "env"},
		{"secretGenerator", "files"}, {"secretGenerator", "envs"}, {"secretGenerator", "env"},
	} {
		for _, e := range kf.subEntries(f.field, f.key) {
			if f.key == "files" {
				// KEY=PATH names the key the file's content goes under.
				if _, p, ok := strings.Cut(e.value, "="); ok {
					e.value = p
				}
			}
			out = append(out, e)
		}
	}
	if _, v := kf.field("openapi"); v != nil {
		if n := mapValue(v, "path"); n != nil && n.Kind == yaml.ScalarNode {
			out = append(out, entry{"openapi.path", n.Value, n})
		}
	}
	return out
}

func joinEntry(dir, value string) string {
	if filepath.IsAbs(value) {
		return value
	}
	return filepath.Join(dir, value)
}

// isRemoteRef recognises what kustomize would fetch, for an entry that is
// not on the disk: a URL, or a git repository in one of the forms it
// accepts (git@host:org/repo, git::..., host.tld/org/repo//dir?ref=...).
func isRemoteRef(v string) bool {
	if strings.Contains(v, "://") || strings.HasPrefix(v, "git@") || strings.HasPrefix(v, "git::") {
		return true
	}
	host, rest, ok := strings.Cut(v, "/")
	return ok && rest != "" && strings.Contains(host, ".") && !strings.HasPrefix(host, ".") &&
		!strings.ContainsAny(host, `\:`) && !isManifestName(v)
}

// isHelmConfig recognises a HelmChartInflationGenerator configuration.
func isHelmConfig(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == "kind" &&
			strings.Trim(strings.TrimSpace(v), `"'`) == "HelmChartInflationGenerator" {
			return true
		}
	}
	return false
}
