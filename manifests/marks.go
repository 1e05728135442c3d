package manifests

// The converters note where the few fields that validation talks about are,
// while they build the object, so that an error about a missing name or a
// refused generateName can point at a line without a second walk.

// where tells a converter what the mapping or sequence it is in is, as far as
// validation cares.
type where uint8

const (
	inOther     where = iota
	inRoot            // the document's top-level mapping
	inRootMeta        // its metadata
	inRootItems       // its items (when it is a List)
	inItem            // a member of items
	inItemMeta        // that member's metadata
)

// objMarks are the positions of an object and of the fields validation checks.
// The first occurrence wins, so explicit keys beat those merged in with "<<".
type objMarks struct {
	start, apiVersion, kind, metadata, items mark
	name, generateName, namespace            mark
}

// docMarks are the marks of a document and, if it is a List, of its items.
type docMarks struct {
	top   objMarks
	items []objMarks
}

// key notes the position of key in the mapping the converter is in, and
// returns what the key's value is.
func (d *docMarks) key(w where, idx int, key string, at mark) where {
	switch w {
	case inRoot:
		return d.top.objectKey(key, at, inRootMeta, inRootItems)
	case inRootMeta:
		d.top.metaKey(key, at)
	case inItem:
		return d.items[idx].objectKey(key, at, inItemMeta, inOther)
	case inItemMeta:
		d.items[idx].metaKey(key, at)
	}
	return inOther
}

// elem notes the position of element idx of a sequence, and returns what the
// element is.
func (d *docMarks) elem(w where, idx int, at mark) where {
	if w != inRootItems {
		return inOther
	}
	for len(d.items) <= idx {
		d.items = append(d.items, objMarks{})
	}
	if !d.items[idx].start.known() {
		d.items[idx].start = at
	}
	return inItem
}

func (m *objMarks) objectKey(key string, at mark, meta, items where) where {
	switch key {
	case "apiVersion":
		setMark(&m.apiVersion, at)
	case "kind":
		setMark(&m.kind, at)
	case "metadata":
		setMark(&m.metadata, at)
		return meta
	case "items":
		setMark(&m.items, at)
		return items
	}
	return inOther
}

func (m *objMarks) metaKey(key string, at mark) {
	switch key {
	case "name":
		setMark(&m.name, at)
	case "generateName":
		setMark(&m.generateName, at)
	case "namespace":
		setMark(&m.namespace, at)
	}
}

func setMark(m *mark, at mark) {
	if !m.known() {
		*m = at
	}
}
