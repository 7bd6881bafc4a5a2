package generator

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/generator/model"
)

func TestFieldID(t *testing.T) {
	// FNV-1a 32 of "ID"; the ids are part of the stored format.
	require.Equal(t, uint32(0x56e8eb60), fieldID("ID"))
	require.Equal(t, fieldID("Field579897"), fieldID("Field1486330"), "the collision the golden case relies on")
}

func TestTypeHash(t *testing.T) {
	var (
		i32   = &model.Type{Kind: model.Int, Basic: "int32", Bits: 32}
		i64   = &model.Type{Kind: model.Int, Basic: "int64", Bits: 64}
		u64   = &model.Type{Kind: model.Uint, Basic: "uint64", Bits: 64}
		str   = &model.Type{Kind: model.String, Basic: "string"}
		bytes = &model.Type{Kind: model.Bytes, Basic: "byte"}
		fixed = &model.Type{Kind: model.Fixed, Basic: "byte", Len: 4}
		dur   = &model.Type{Kind: model.Int, Named: &model.TypeName{Path: "time", Name: "Duration"}, Bits: 64}
		f32   = &model.Type{Kind: model.Float32, Basic: "float32"}
		f64   = &model.Type{Kind: model.Float64, Basic: "float64"}
	)
	ptr := func(t *model.Type) *model.Type { return &model.Type{Kind: model.Pointer, Elem: t} }
	slice := func(t *model.Type) *model.Type { return &model.Type{Kind: model.Slice, Elem: t} }
	array := func(t *model.Type) *model.Type { return &model.Type{Kind: model.Array, Elem: t, Len: 3} }
	mapOf := func(k, v *model.Type) *model.Type { return &model.Type{Kind: model.Map, Key: k, Elem: v} }

	compatible := [][2]*model.Type{
		{i32, i64},
		{i64, dur},
		{str, bytes},
		{str, fixed},
		{i64, ptr(i64)},
		{slice(i32), array(i64)},
		{mapOf(str, i32), mapOf(bytes, i64)},
	}
	for _, p := range compatible {
		require.Equal(t, typeHash(p[0]), typeHash(p[1]), "%s and %s", signature(p[0], false), signature(p[1], false))
	}
	incompatible := [][2]*model.Type{
		{i64, str},
		{i64, u64},
		{f32, f64},
		{i64, slice(i64)},
		{slice(i64), slice(ptr(i64))},
		{mapOf(str, i64), mapOf(i64, str)},
	}
	for _, p := range incompatible {
		require.NotEqual(t, typeHash(p[0]), typeHash(p[1]), "%s and %s", signature(p[0], false), signature(p[1], false))
	}
}
