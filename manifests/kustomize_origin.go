package manifests

import (
	"strings"

	"sigs.k8s.io/kustomize/api/resource"
)

// matchDoc finds, among the documents of an object's original file, the one
// kustomize made it from. kustomize records the file but not the document,
// and by now the name may carry a prefix and a suffix and the namespace may
// have changed, so: the same kind, the longest original name found within
// the rendered one, the same namespace to settle a tie; or the only
// document of that kind.
func matchDoc(docs []Object, r *resource.Resource) (Object, bool) {
	kind, name, ns := r.GetKind(), r.GetName(), r.GetNamespace()
	var best Object
	bestLen, tied, sameKind := -1, false, 0
	var only Object
	for _, d := range docs {
		if d.Obj.GetKind() != kind {
			continue
		}
		sameKind++
		only = d
		n := d.Obj.GetName()
		if !strings.Contains(name, n) {
			continue
		}
		switch {
		case len(n) > bestLen:
			best, bestLen, tied = d, len(n), false
		case len(n) == bestLen:
			switch {
			case d.Obj.GetNamespace() == ns && best.Obj.GetNamespace() != ns:
				best, tied = d, false
			case (d.Obj.GetNamespace() == ns) == (best.Obj.GetNamespace() == ns):
				tied = true
			}
		}
	}
	switch {
	case bestLen >= 0 && !tied:
		return best, true
	case sameKind == 1:
		return only, true
	}
	return Object{}, false
}

// generatorLine finds the line of the configMapGenerator or secretGenerator
// entry that made the object named name, 0 when it cannot be told.
// kustomize records the generator's kind but not its name, so the entry is
// the one whose name is the longest found within the rendered name (which
// has a hash suffix, and maybe a prefix).
func generatorLine(path string, o *resource.Origin, name string) int {
	field := map[string]string{"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}[o.ConfiguredBy.Kind]
	if field == "" {
		return 0
	}
	kf, err := loadKustFile(path)
	if err != nil {
		return 0
	}
	_, v := kf.field(field)
	if v == nil {
		return 0
	}
	line, best := 0, -1
	for _, item := range v.Content {
		if n := mapValue(item, "name"); n != nil && strings.Contains(name, n.Value) && len(n.Value) > best {
			line, best = item.Line, len(n.Value)
		}
	}
	return line
}
