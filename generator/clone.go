package generator

import (
	"go/types"
	"strings"

	"github.com/synapsed/storegen/generator/model"
)

// clones names the clone functions generated for s: one for the record,
// unless a field holds a type whose copy the generator cannot make (an
// encoding.BinaryMarshaler that holds references), and one for each nested
// struct that a plain assignment would not copy deeply.
func clones(s *model.Store) {
	if !copyable(s.Fields) {
		return
	}
	s.Names.Clone = "clone" + camel(s.Type)
	for _, n := range s.Nested {
		if n.Shares() {
			n.Clone = "clone" + strings.TrimPrefix(n.Encode, "encode")
		}
	}
}

// copyable reports whether the generator can deep-copy fields: every
// marshaler they hold is plain.
func copyable(fields []*model.Field) bool {
	for _, f := range fields {
		if !copyableType(f.Type) {
			return false
		}
	}
	return true
}

func copyableType(t *model.Type) bool {
	switch {
	case t == nil:
		return true
	case t.Kind == model.Marshaler:
		return t.Plain
	case t.Kind == model.Struct:
		return copyable(t.Nested.Fields)
	}
	return copyableType(t.Elem) && copyableType(t.Key)
}

// holdsNoReferences reports whether assigning a value of t copies all of
// it: no pointers, slices, maps, channels, functions or interfaces at any
// depth. time.Time counts as a value: its *Location is never modified.
func holdsNoReferences(t types.Type) bool {
	if isNamed(t, "time", "Time") {
		return true
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Kind() != types.UnsafePointer
	case *types.Array:
		return holdsNoReferences(u.Elem())
	case *types.Struct:
		for f := range u.Fields() {
			if !holdsNoReferences(f.Type()) {
				return false
			}
		}
		return true
	}
	return false
}
