package apply

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapply-dev/kapply/apply/applyset"
)

// labelMembers makes every object of the plan a member of s (its part-of
// label) and returns the group-kinds and namespaces they span, for the
// parent to record.
func labelMembers(s *applyset.Set, plan *Plan) (map[schema.GroupKind]bool, map[string]bool) {
	gks, nss := map[schema.GroupKind]bool{}, map[string]bool{}
	for _, item := range plan.Items {
		// The plan shares the caller's objects (see newItem).
		item.Object = ownMetadata(item.Object)
		s.Label(item.Object)
		gks[item.Resolved.Ref.GroupKind()] = true
		if item.Resolved.Namespaced {
			nss[item.Resolved.Ref.Namespace] = true
		}
	}
	return gks, nss
}

func union[K comparable](a, b map[K]bool) map[K]bool {
	out := make(map[K]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
