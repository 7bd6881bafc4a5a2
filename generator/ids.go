package generator

import (
	"hash/fnv"

	"github.com/synapsed/storegen/generator/model"
)

// fieldID is the id of a field in the stored form: FNV-1a 32 of its Go
// name. Renaming a field is therefore a schema change; reordering is not.
func fieldID(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}

// typeHash is the stored type of a field: FNV-1a 32 of its encoding-class
// signature, folded to 16 bits. Types that share a payload format share a
// signature, so widening int32 to int64 or string to []byte keeps old data
// readable while int to string is a type error.
func typeHash(t *model.Type) uint16 {
	h := fnv.New32a()
	h.Write([]byte(signature(t, false)))
	s := h.Sum32()
	return uint16(s>>16 ^ s)
}

// signature is the encoding class of t. A pointer has its pointee's class
// at field level, where nil is simply not written, but its own class inside
// a collection, where elements carry a presence byte.
func signature(t *model.Type, inCollection bool) string {
	switch t.Kind {
	case model.Bool:
		return "bool"
	case model.Int:
		return "int"
	case model.Uint:
		return "uint"
	case model.Float32:
		return "f32"
	case model.Float64:
		return "f64"
	case model.String, model.Bytes, model.Fixed:
		return "bytes"
	case model.Time:
		return "time"
	case model.Marshaler:
		return "bin"
	case model.Struct:
		return "struct"
	case model.Pointer:
		if inCollection {
			return "*" + signature(t.Elem, true)
		}
		return signature(t.Elem, false)
	case model.Slice, model.Array:
		return "[" + signature(t.Elem, true)
	case model.Map:
		return "map[" + signature(t.Key, true) + "]" + signature(t.Elem, true)
	}
	panic("storegen: signature of unknown kind")
}
