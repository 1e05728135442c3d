package main

import (
	"errors"

	"github.com/kapply-dev/kapply/apply"
)

// jsonImmutable is, in a result or diff line, why the server refuses the
// change: the manifest's fields, their values (masked as in a diff;
// compact JSON, cut to 80 characters; "" when unset) and the server's
// own message.
type jsonImmutable struct {
	Fields []jsonImmutableField `json:"fields"`
	Server string               `json:"server,omitempty"`
}

type jsonImmutableField struct {
	Path        string `json:"path"`
	ServerField string `json:"serverField,omitempty"`
	Old         string `json:"old,omitempty"`
	New         string `json:"new,omitempty"`
}

// immutableJSON returns the detail of an *apply.ImmutableError in err's
// chain, nil when there is none.
func immutableJSON(err error) *jsonImmutable {
	var ie *apply.ImmutableError
	if !errors.As(err, &ie) {
		return nil
	}
	out := &jsonImmutable{Server: ie.Message}
	for _, c := range ie.Changes {
		out.Fields = append(out.Fields, jsonImmutableField{Path: c.Path, ServerField: c.ServerField, Old: c.Old, New: c.New})
	}
	return out
}
