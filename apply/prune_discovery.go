package apply

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/kapply-dev/kapply/apply/applyset"
)

// pruneDiscovery checks that the APIs a prune must list are discoverable:
// the groups of the kinds the set records and of the input (gks). An
// unrelated API that is down (an APIService whose backend is missing,
// metrics-server being the usual one) does not matter; an unavailable
// group among gks refuses the prune, naming it. It returns the groups
// whose discovery failed.
func (a *Applier) pruneDiscovery(gks map[schema.GroupKind]bool) (map[string]bool, error) {
	needed := map[string]bool{}
	for gk := range gks {
		needed[gk.Group] = true
	}
	failedGroups := map[string]bool{}
	var blocking []string
	_, _, err := a.Clients.Discovery.ServerGroupsAndResources()
	var failed *discovery.ErrGroupDiscoveryFailed
	switch {
	case errors.As(err, &failed):
		for gv, gvErr := range failed.Groups {
			failedGroups[gv.Group] = true
			if needed[gv.Group] {
				blocking = append(blocking, fmt.Sprintf("%s: %v", gv, gvErr))
			}
		}
	case err != nil:
		return nil, fmt.Errorf("%w: discovery failed: %v", ErrPruneRefused, err)
	}
	// The disk cache (kubectl's layout) keeps a group whose every version
	// is stale (an APIService whose backend is down) with no version at
	// all, and reports no error for it: such a group is unavailable too.
	if groups, err := a.Clients.Discovery.ServerGroups(); err == nil {
		for _, g := range groups.Groups {
			if len(g.Versions) == 0 && !failedGroups[g.Name] {
				failedGroups[g.Name] = true
				if needed[g.Name] {
					blocking = append(blocking, fmt.Sprintf("%s: the server lists the group with no available version", g.Name))
				}
			}
		}
	}
	if len(blocking) > 0 {
		sort.Strings(blocking)
		return nil, fmt.Errorf("%w: discovery of the set's APIs is incomplete (%s), so their members cannot be listed", ErrPruneRefused, strings.Join(blocking, "; "))
	}
	return failedGroups, nil
}

// recordedMapping resolves a kind the set records. A kind the server does
// not serve, after a fresh discovery, is gone (its CRD was uninstalled):
// it can have no members, and gone is true. A kind of a group whose
// discovery failed is not gone but unknown, and refuses the prune.
func (a *Applier) recordedMapping(gk schema.GroupKind, failedGroups map[string]bool, fresh bool) (mapping *meta.RESTMapping, gone bool, err error) {
	mapping, err = a.Clients.Mapper.RESTMapping(gk)
	if err != nil && meta.IsNoMatchError(err) && !fresh {
		a.Clients.Mapper.Reset()
		mapping, err = a.Clients.Mapper.RESTMapping(gk)
	}
	switch {
	case err == nil:
		return mapping, false, nil
	case meta.IsNoMatchError(err) && !failedGroups[gk.Group]:
		return nil, true, nil
	}
	return nil, false, fmt.Errorf("%w: kind %s recorded on the parent cannot be resolved: %v", ErrPruneRefused, gk, err)
}

// goneWarning is the warning for a recorded kind the server no longer
// serves.
func goneWarning(s *applyset.Set, gk schema.GroupKind) string {
	return fmt.Sprintf("applyset %s records kind %s, which the server no longer serves (its CRD was removed?): it has no members left and leaves the record", s.Parent, gk)
}
