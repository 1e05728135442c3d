package render

import (
	smdschema "sigs.k8s.io/structured-merge-diff/v6/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// Schema is the structure of one kind, as structured-merge-diff reads it
// from the API server's OpenAPI schema (the server merges apply patches
// with the same types): which lists are list-type maps and by which keys
// (x-kubernetes-list-type: map, x-kubernetes-list-map-keys; for built-in
// kinds the merge keys). A nil *Schema knows nothing: every list goes by
// index.
type Schema struct {
	s   *smdschema.Schema
	top smdschema.TypeRef
}

// SchemaOf returns the Schema of a typed object.
func SchemaOf(tv *typed.TypedValue) *Schema {
	if tv == nil {
		return nil
	}
	return &Schema{s: tv.Schema(), top: tv.TypeRef()}
}

func (s *Schema) root() cursor {
	if s == nil {
		return cursor{}
	}
	return cursor{s: s.s, tr: s.top}
}

// cursor is a place in a Schema; the zero cursor knows nothing.
type cursor struct {
	s  *smdschema.Schema
	tr smdschema.TypeRef
}

func (c cursor) atom() (smdschema.Atom, bool) {
	if c.s == nil {
		return smdschema.Atom{}, false
	}
	return c.s.Resolve(c.tr)
}

// field is the cursor of a map's key: a field of a struct, or an element
// of a map.
func (c cursor) field(name string) cursor {
	a, ok := c.atom()
	if !ok || a.Map == nil {
		return cursor{}
	}
	if f, ok := a.Map.FindField(name); ok {
		return cursor{s: c.s, tr: f.Type}
	}
	return cursor{s: c.s, tr: a.Map.ElementType}
}

// elem is the cursor of a list's items.
func (c cursor) elem() cursor {
	a, ok := c.atom()
	if !ok || a.List == nil {
		return cursor{}
	}
	return cursor{s: c.s, tr: a.List.ElementType}
}

// listKeys returns the keys of a list-type map, nil for any other list.
func (c cursor) listKeys() []string {
	a, ok := c.atom()
	if !ok || a.List == nil || a.List.ElementRelationship != smdschema.Associative {
		return nil
	}
	return a.List.Keys
}
