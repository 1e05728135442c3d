package applyset

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GRsAnnotation is the deprecated form of GKsAnnotation:
// the members' group-resources (`deployments.apps,secrets`). Older kubectl
// wrote it, and kubectl 1.37 still reads it when the group-kinds
// annotation is absent; so does kapply. kapply writes group-kinds only.
const GRsAnnotation = "applyset.kubernetes.io/contains-group-resources"

// readRecord sets what a live parent records: its members' group-kinds
// (from contains-group-kinds, else the deprecated contains-group-resources)
// and namespaces. A parent with neither annotation is refused: reading it
// as recording nothing would make a prune miss every member, and writing
// it would forget them.
func (s *Set) readRecord(annotations map[string]string, mapper meta.RESTMapper) error {
	if gks, ok := annotations[GKsAnnotation]; ok {
		for _, gk := range splitList(gks) {
			s.RecordedGKs[schema.ParseGroupKind(gk)] = true
		}
	} else if grs, ok := annotations[GRsAnnotation]; ok {
		for _, gr := range splitList(grs) {
			gvk, err := mapper.KindFor(schema.ParseGroupResource(gr).WithVersion(""))
			if meta.IsNoMatchError(err) {
				// Its API is gone (a CRD uninstalled): it can have no
				// member left, and the record loses it on the next trim.
				s.Warnings = append(s.Warnings, fmt.Sprintf("applyset %s records resource %s, which the server no longer serves: it has no members left and leaves the record", s.Parent, gr))
				continue
			}
			if err != nil {
				return fmt.Errorf("parent %s records resource %s (%s), which cannot be resolved: %w", s.Parent, gr, GRsAnnotation, err)
			}
			s.RecordedGKs[gvk.GroupKind()] = true
		}
	} else {
		return fmt.Errorf("parent %s records neither %s nor %s: its members cannot be known, so kapply will not read it as empty (add the annotation, or delete the parent and its members)", s.Parent, GKsAnnotation, GRsAnnotation)
	}
	for _, n := range splitList(annotations[NamespacesAnnotation]) {
		s.RecordedNSs[n] = true
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// MemberNamespaces is where namespaced members are listed: the parent's
// namespace and the recorded ones. A cluster-scoped parent has no
// namespace of its own: its namespaced members are in the recorded
// namespaces only (listing "" would list every namespace, and count each
// member twice).
func (s *Set) MemberNamespaces(nss map[string]bool) []string {
	var out []string
	if s.Parent.Namespace != "" {
		out = append(out, s.Parent.Namespace)
	}
	var rest []string
	for n := range nss {
		if n != s.Parent.Namespace && n != "" {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
