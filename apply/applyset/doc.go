// Package applyset is kapply's side of the ApplySet specification
// (KEP-3659), as kubectl's --applyset implements it: the parent object,
// the set's ID, the part-of label that makes an object a member, and the
// group-kinds and namespaces the parent records. Which members to prune,
// and pruning them, is part of a run and lives in package apply.
package applyset
