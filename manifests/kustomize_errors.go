package manifests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v4"
)

var (
	// kustomize wraps the error of a base or component with its absolute
	// directory; the last one in the text is the innermost.
	kustDirRE = regexp.MustCompile(`(?:recursed accumulation of path|couldn't make target for path|accumulating components: accumulateDirectory: "recursed accumulation of path) '([^']+)'`)
	// `json: unknown field "X"` from kustomize's strict decoding.
	unknownFieldRE = regexp.MustCompile(`unknown field "([^"]+)"`)
	// A strategic merge patch whose target is not in the resources:
	// `no resource matches strategic merge patch "Deployment.v1.apps/web.[noNs]"`.
	smpTargetRE = regexp.MustCompile(`strategic merge patch "([A-Za-z0-9]+)\.[^/"]*/([^"]*)\.([^."]*)"`)
)

// explainKustomizeError turns an error of kustomize, which names neither
// the kustomization file nor the entry, into one that does: the innermost
// base kustomize was building gives the file, and for the errors that can
// be traced (an unknown field, a patch matching nothing) the line and the
// entry. Absolute paths in kustomize's text are shortened to the -k
// directory as given.
func explainKustomizeError(dir, absRoot, kustPath string, err error) error {
	msg := err.Error()
	file := kustPath
	if ms := kustDirRE.FindAllStringSubmatch(msg, -1); len(ms) > 0 {
		inner := ms[len(ms)-1][1]
		if rel, rerr := filepath.Rel(absRoot, inner); rerr == nil {
			if f := findKustFile(filepath.Join(dir, rel)); f != "" {
				file = f
			}
		}
	}
	msg = shortenPaths(msg, dir, absRoot)
	kf, lerr := loadKustFile(file)
	if lerr != nil {
		return &ReadError{Path: file, Err: fmt.Errorf("kustomize: %s", msg)}
	}
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		if k := kf.findKey(m[1]); k != nil {
			return kf.errorAt(k, "unknown field %q (kustomize: %s)", m[1], msg)
		}
	}
	if m := smpTargetRE.FindStringSubmatch(msg); m != nil {
		if e, ok := kf.patchFor(filepath.Dir(file), m[1], m[2]); ok {
			return kf.errorAt(e.node, "%s: the patch's target %s %s is not among the kustomization's resources (kustomize: %s)", e.name, m[1], m[2], msg)
		}
	}
	return &ReadError{Path: file, Err: fmt.Errorf("kustomize: %s", msg)}
}

// shortenPaths replaces the absolute path of the -k directory with the
// directory as the user gave it.
func shortenPaths(msg, dir, absRoot string) string {
	msg = strings.ReplaceAll(msg, absRoot+string(filepath.Separator), filepath.Clean(dir)+string(filepath.Separator))
	if parent := filepath.Dir(absRoot); parent != "/" {
		msg = strings.ReplaceAll(msg, parent+string(filepath.Separator), filepath.Clean(filepath.Join(dir, ".."))+string(filepath.Separator))
	}
	return msg
}

// patchFor finds the patches or patchesStrategicMerge entry whose patch is
// the object kind/name: inline, or in a file of the kustomization's dir.
func (kf *kustFile) patchFor(dir, kind, name string) (entry, bool) {
	matches := func(text string) bool {
		var obj struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		return yaml.Unmarshal([]byte(text), &obj) == nil && obj.Kind == kind && obj.Metadata.Name == name
	}
	content := func(value string) string {
		if strings.Contains(value, "\n") {
			return value
		}
		data, err := os.ReadFile(joinEntry(dir, value))
		if err != nil {
			return ""
		}
		return string(data)
	}
	var candidates []entry
	candidates = append(candidates, kf.subEntries("patches", "path")...)
	candidates = append(candidates, kf.subEntries("patches", "patch")...)
	candidates = append(candidates, kf.listEntries("patchesStrategicMerge")...)
	for _, e := range candidates {
		if matches(content(e.value)) {
			return e, true
		}
	}
	return entry{}, false
}
