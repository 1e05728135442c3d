package manifests

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v4"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
)

// kustFile is one kustomization file, parsed for positions: kustomize
// itself reports neither the file nor the line at fault, so kapply finds
// them here.
type kustFile struct {
	path string     // as displayed: the -k directory joined with the way down
	root *yaml.Node // the top-level mapping; nil when the file does not parse
}

// findKustFile returns the kustomization file of dir as kustomize looks for
// it (kustomization.yaml, kustomization.yml, Kustomization), or "" when
// there is none.
func findKustFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() {
			return filepath.Join(dir, name)
		}
	}
	return ""
}

// loadKustFile parses the kustomization file at path. A file that does not
// parse as YAML keeps a nil root: kustomize reports it.
func loadKustFile(path string) (*kustFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ReadError{Path: path, Err: pathError(err)}
	}
	kf := &kustFile{path: path}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) == nil && doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 &&
		doc.Content[0].Kind == yaml.MappingNode {
		kf.root = doc.Content[0]
	}
	return kf, nil
}

// errorAt gives a *DecodeError at n (or at the file's start when n is nil).
func (kf *kustFile) errorAt(n *yaml.Node, format string, args ...any) error {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	return &DecodeError{Source: Source{Path: kf.path, Doc: 1, Line: 1}, Line: line, Col: col, Err: fmt.Errorf(format, args...)}
}

// field returns the key and value nodes of a top-level field, matched case
// insensitively as kustomize's JSON decoding does.
func (kf *kustFile) field(name string) (key, value *yaml.Node) {
	if kf.root == nil {
		return nil, nil
	}
	for i := 0; i+1 < len(kf.root.Content); i += 2 {
		if strings.EqualFold(kf.root.Content[i].Value, name) {
			return kf.root.Content[i], kf.root.Content[i+1]
		}
	}
	return nil, nil
}

// entry is one path-like value of a kustomization field, such as
// resources[2] or patches[0].path.
type entry struct {
	name  string // resources[2], patches[0].path
	value string
	node  *yaml.Node
}

// listEntries returns the string items of a sequence field.
func (kf *kustFile) listEntries(field string) []entry {
	_, v := kf.field(field)
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil
	}
	var out []entry
	for i, n := range v.Content {
		if n.Kind == yaml.ScalarNode {
			out = append(out, entry{fmt.Sprintf("%s[%d]", field, i), n.Value, n})
		}
	}
	return out
}

// subEntries returns, for a sequence of mappings, the string (or list of
// strings) under key of each item: patches[0].path, configMapGenerator[1].files[0].
func (kf *kustFile) subEntries(field, key string) []entry {
	_, v := kf.field(field)
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil
	}
	var out []entry
	for i, item := range v.Content {
		n := mapValue(item, key)
		switch {
		case n == nil:
		case n.Kind == yaml.ScalarNode:
			out = append(out, entry{fmt.Sprintf("%s[%d].%s", field, i, key), n.Value, n})
		case n.Kind == yaml.SequenceNode:
			for j, s := range n.Content {
				if s.Kind == yaml.ScalarNode {
					out = append(out, entry{fmt.Sprintf("%s[%d].%s[%d]", field, i, key, j), s.Value, s})
				}
			}
		}
	}
	return out
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, key) {
			return n.Content[i+1]
		}
	}
	return nil
}

// findKey returns the first mapping key named key anywhere in the file, for
// kustomize's "unknown field" errors, which name the key but not where.
func (kf *kustFile) findKey(key string) *yaml.Node {
	var walk func(n *yaml.Node) *yaml.Node
	walk = func(n *yaml.Node) *yaml.Node {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					return n.Content[i]
				}
			}
		}
		for _, c := range n.Content {
			if f := walk(c); f != nil {
				return f
			}
		}
		return nil
	}
	if kf.root == nil {
		return nil
	}
	return walk(kf.root)
}

// knownFields are the top-level fields kustomize v0.21 accepts, lower
// case, from its own Kustomization type.
var knownFields = func() map[string]bool {
	known := map[string]bool{"apiversion": true, "kind": true}
	t := reflect.TypeFor[types.Kustomization]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			known[strings.ToLower(name)] = true
		}
	}
	return known
}()

// unknownFields reports top-level fields kustomize would refuse with
// "json: unknown field", naming the line.
func (kf *kustFile) unknownFields() []error {
	if kf.root == nil {
		return nil
	}
	var errs []error
	for i := 0; i+1 < len(kf.root.Content); i += 2 {
		k := kf.root.Content[i]
		if !knownFields[strings.ToLower(k.Value)] {
			errs = append(errs, kf.errorAt(k, "unknown field %q in a kustomization", k.Value))
		}
	}
	return errs
}

// errNoKustomization is returned for a -k directory without a
// kustomization file.
var errNoKustomization = errors.New("no kustomization.yaml, kustomization.yml or Kustomization in this directory")
