// Package manifests reads what a user points kapply at (files, directories,
// stdin, URLs) and decodes it into *unstructured.Unstructured objects, each
// with the Source it came from. It is where bad input is stopped: every error
// names the file, the document and the line. It imports no kapply package.
//
// Read takes the -f inputs and returns every object or an error, never a
// part: nothing from an input that is partly invalid may reach the cluster.
// Decode does the same for one input's bytes. With ReadOptions.Kustomize,
// Read renders a kustomization in process instead (kustomize's own library,
// with kubectl's defaults) and traces each object back to its original
// file and document; remote bases and Helm charts are refused, as kapply
// fetches and runs nothing to render.
//
// Decoding gives the objects kubectl's decoder gives (apimachinery's
// YAMLOrJSONDecoder, the unstructured JSON scheme, List flattening):
// documents are cut where kubectl's reader cuts them, unquoted scalars
// resolve by the YAML 1.1 rules of sigs.k8s.io/yaml (yes/no/on/off are
// booleans, 0644 is octal, 1.0 is the integer 1), numbers go through JSON as
// kubectl's do, and null or empty documents are skipped. Where kubectl's
// result is a trap (a duplicate key, a "<<" overriding an explicit key, a
// document it would drop, items on a kind that is no List) the input is
// refused instead: refusal.go lists every such difference, and
// FuzzDecodeKubectl checks that there is no other. A plain mapping key keeps
// its text ("y:" stays "y", where kubectl makes it "true").
//
// Errors about a document read PATH#DOC:LINE:COL: MESSAGE, LINE counted from
// the start of the input; errors about an input as a whole read PATH:
// MESSAGE. No message quotes a value from a document, which may be a Secret.
package manifests
