package manifests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// KustomizeVersion is the version of sigs.k8s.io/kustomize/api that renders
// -k: the one kubectl 1.37 embeds (kustomize v5.8.1).
const KustomizeVersion = "v0.21.1"

// kustomize renders the kustomization in dir in process, as `kubectl
// kustomize DIR` does (kustomize's default options, which are kubectl's:
// load restrictor RootOnly, no plugins, so no exec and no containers, no
// Helm), and decodes every rendered object with the decoder -f uses, so that
// the objects are exactly those of `kubectl kustomize DIR | kapply apply -f -`.
//
// Each object's Source is its original file and document, from kustomize's
// origin tracking; the origin annotation is removed from every object, so
// it never reaches the server.
func kustomize(ctx context.Context, dir string, maxBytes int64) ([]Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil && isRemoteRef(dir):
		return nil, &ReadError{Path: dir, Err: errors.New("remote kustomizations are not supported: kapply does not fetch anything (no HTTP, no git) to render; clone it and give its local directory")}
	case err != nil:
		return nil, &ReadError{Path: dir, Err: pathError(err)}
	case !fi.IsDir():
		return nil, &ReadError{Path: dir, Err: errors.New("-k takes a directory with a kustomization.yaml, not a file")}
	}
	kustPath := findKustFile(dir)
	if kustPath == "" {
		return nil, &ReadError{Path: dir, Err: errNoKustomization}
	}
	if err := preflight(dir); err != nil {
		return nil, err
	}
	absRoot, err := realAbs(dir)
	if err != nil {
		return nil, &ReadError{Path: dir, Err: pathError(err)}
	}
	fsys := &originFS{FileSystem: filesys.MakeFsOnDisk(), kustFile: filepath.Join(absRoot, filepath.Base(kustPath))}
	m, err := krusty.MakeKustomizer(kubectlOptions()).Run(fsys, dir)
	if err != nil {
		return nil, explainKustomizeError(dir, absRoot, kustPath, err)
	}
	ix := &originIndex{dir: dir, kustPath: kustPath, docs: make(map[string][]Object)}
	var objs []Object
	var errs []error
	total := int64(0)
	for _, r := range m.Resources() {
		origin, _ := r.GetOrigin()
		if err := r.SetOrigin(nil); err != nil {
			return nil, &ReadError{Path: kustPath, Err: fmt.Errorf("remove kustomize's origin annotation: %w", err)}
		}
		y, err := r.AsYAML()
		if err != nil {
			return nil, &ReadError{Path: kustPath, Err: fmt.Errorf("kustomize output: %w", err)}
		}
		if total += int64(len(y)); total > maxBytes {
			return nil, &ReadError{Path: dir, Err: fmt.Errorf("the rendered objects total more than %s, the limit for one run", formatSize(maxBytes))}
		}
		src := ix.source(origin, r)
		decoded, err := Decode(src.Path, y)
		if err != nil {
			errs = append(errs, renderedError(src, err))
			continue
		}
		for _, o := range decoded {
			s := src
			s.Item = o.Source.Item
			objs = append(objs, Object{Source: s, Obj: o.Obj})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return objs, nil
}

// kubectlOptions are the options `kubectl kustomize` runs krusty with when
// given no flag: kustomize's defaults, with the order left unspecified so
// that a kustomization's sortOptions is honoured and the legacy order
// applies otherwise.
func kubectlOptions() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	o.LoadRestrictions = types.LoadRestrictionsRootOnly
	o.PluginConfig = types.DisabledPluginConfig()
	o.AddManagedbyLabel = false
	return o
}

// renderedError names the original file of an object kustomize rendered
// that kapply refuses (generateName, for one).
func renderedError(src Source, err error) error {
	var out []error
	for _, e := range unjoin(err) {
		var de *DecodeError
		if errors.As(e, &de) {
			e = de.Err
		}
		out = append(out, &ReadError{Path: src.String(), Err: fmt.Errorf("as rendered by kustomize: %w", e)})
	}
	return errors.Join(out...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func realAbs(p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(real)
}

// originFS is the disk as kustomize reads it, except that the top
// kustomization asks for origin annotations (buildMetadata:
// [originAnnotations]): kustomize then records on each object the file it
// came from, or the generator that made it. Nothing else changes: the
// annotation does not enter ConfigMap and Secret name hashes.
type originFS struct {
	filesys.FileSystem
	kustFile string // absolute, links resolved
}

// ReadFile reads path, adding originAnnotations to the top kustomization.
func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil {
		return data, err
	}
	if real, rerr := realAbs(path); rerr != nil || real != f.kustFile {
		return data, nil
	}
	return withOriginAnnotations(data), nil
}

// withOriginAnnotations adds originAnnotations to a kustomization's
// buildMetadata. A kustomization that does not parse is returned as is,
// for kustomize to report.
func withOriginAnnotations(data []byte) []byte {
	node, err := kyaml.Parse(string(data))
	if err != nil || node.YNode().Kind != kyaml.MappingNode {
		return data
	}
	bm, err := node.Pipe(kyaml.LookupCreate(kyaml.SequenceNode, "buildMetadata"))
	if err != nil || bm == nil || bm.YNode().Kind != kyaml.SequenceNode {
		return data
	}
	if slices.ContainsFunc(bm.YNode().Content, func(n *kyaml.Node) bool { return n.Value == types.OriginAnnotations }) {
		return data
	}
	bm.YNode().Content = append(bm.YNode().Content, kyaml.NewScalarRNode(types.OriginAnnotations).YNode())
	out, err := node.String()
	if err != nil {
		return data
	}
	return []byte(out)
}

// originIndex turns kustomize's origins into Sources.
type originIndex struct {
	dir      string              // the -k directory as given
	kustPath string              // its kustomization file, as displayed
	docs     map[string][]Object // decoded resource files, nil when they do not decode
}

// source gives the Source of a rendered object: the document of the file
// it came from, the generator entry that made it, or, for an object that
// lost its origin (a patch replaced its annotations), the kustomization.
func (ix *originIndex) source(o *resource.Origin, r *resource.Resource) Source {
	switch {
	case o == nil || o.Repo != "":
		return Source{Path: ix.kustPath}
	case o.ConfiguredIn != "":
		path := filepath.Join(ix.dir, o.ConfiguredIn)
		return Source{Path: path, Doc: 1, Line: generatorLine(path, o, r.GetName())}
	case o.Path != "":
		path := filepath.Join(ix.dir, o.Path)
		if d, ok := matchDoc(ix.file(path), r); ok {
			return d.Source
		}
		return Source{Path: path}
	}
	return Source{Path: ix.kustPath}
}

func (ix *originIndex) file(path string) []Object {
	if docs, seen := ix.docs[path]; seen {
		return docs
	}
	data, err := os.ReadFile(path)
	var docs []Object
	if err == nil {
		docs, _ = Decode(path, data)
	}
	ix.docs[path] = docs
	return docs
}
