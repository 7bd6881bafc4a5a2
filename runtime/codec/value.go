package codec

import (
	"encoding/binary"
	"math"
	"math/bits"
	"time"
)

// Value format. A stored value is a version byte followed by fields in any
// order; a nested struct's payload is its fields without a version byte.
//
//	field   = id:uint32le type:uint16le len:uvarint payload[len]
//
// id is a hash of the Go field name and type a hash of the field's encoding
// class (see the generator), both fixed when the code is generated. A reader
// skips ids it does not know (removed fields) and leaves fields it does not
// find at their zero value (added fields), so reordering, adding and removing
// fields keep old data readable. An id whose type differs from the reader's
// is a decode error naming the field, never a reinterpreted value.
//
// Payloads:
//
//	bool            1 byte
//	signed ints     zig-zag varint (every width, and time.Duration)
//	unsigned ints   uvarint
//	float32/64      4 or 8 bytes little-endian IEEE 754
//	string, []byte  the bytes
//	time.Time       time.Time.MarshalBinary
//	struct          its fields
//	slice, array    count:uvarint then elements
//	map             count:uvarint then key, value elements
//	pointer         the pointee's payload; a nil pointer is not written
//	BinaryMarshaler its MarshalBinary bytes
//
// Elements of slices and maps use the same payloads, each prefixed by its
// uvarint length when it is variable-sized (strings, bytes, time, structs,
// slices, maps, marshalers). A nil pointer element is the byte 0, a non-nil
// one the byte 1 followed by the pointee's element.
//
// Writers leave out fields holding a zero scalar, a nil slice, map or
// pointer; readers reset the value first, so absent means zero.

// Version is the first byte of every stored value.
const Version byte = 1

// AppendHeader appends a field header without its length, in one append:
// generated code passes constants, so this is one capacity check and six
// stores.
func AppendHeader(dst []byte, id uint32, typ uint16) []byte {
	return append(dst, byte(id), byte(id>>8), byte(id>>16), byte(id>>24), byte(typ), byte(typ>>8))
}

// Begin reserves one byte for a length that End fills in, and returns the
// position to pass to End. Use it around payloads whose size is not known
// before they are written.
func Begin(dst []byte) ([]byte, int) {
	return append(dst, 0), len(dst)
}

// End writes the length of everything appended since Begin into the
// reserved byte, moving the payload when the length needs more than one
// byte.
func End(dst []byte, mark int) []byte {
	n := len(dst) - mark - 1
	if n < 0x80 {
		dst[mark] = byte(n)
		return dst
	}
	var lenBuf [binary.MaxVarintLen64]byte
	w := binary.PutUvarint(lenBuf[:], uint64(n))
	dst = append(dst, lenBuf[:w-1]...)
	copy(dst[mark+w:], dst[mark+1:mark+1+n])
	copy(dst[mark:], lenBuf[:w])
	return dst
}

// BeginField appends a field header and reserves its length; see End.
func BeginField(dst []byte, id uint32, typ uint16) ([]byte, int) {
	return Begin(AppendHeader(dst, id, typ))
}

// AppendStringField appends a string field.
func AppendStringField(dst []byte, id uint32, typ uint16, s string) []byte {
	dst = binary.AppendUvarint(AppendHeader(dst, id, typ), uint64(len(s)))
	return append(dst, s...)
}

// AppendBytesField appends a []byte field.
func AppendBytesField(dst []byte, id uint32, typ uint16, b []byte) []byte {
	dst = binary.AppendUvarint(AppendHeader(dst, id, typ), uint64(len(b)))
	return append(dst, b...)
}

// AppendIntField appends a signed integer field.
func AppendIntField(dst []byte, id uint32, typ uint16, v int64) []byte {
	// Zig-zag, as binary.AppendVarint does.
	ux := uint64(v) << 1
	if v < 0 {
		ux = ^ux
	}
	return AppendUintField(dst, id, typ, ux)
}

// AppendUintField appends an unsigned integer field.
func AppendUintField(dst []byte, id uint32, typ uint16, v uint64) []byte {
	dst = append(AppendHeader(dst, id, typ), uvarintLen(v))
	return binary.AppendUvarint(dst, v)
}

// uvarintLen returns how many bytes binary.AppendUvarint writes for v.
func uvarintLen(v uint64) byte { return byte((bits.Len64(v|1) + 6) / 7) }

// AppendBoolField appends a bool field.
func AppendBoolField(dst []byte, id uint32, typ uint16, v bool) []byte {
	return AppendBool(append(AppendHeader(dst, id, typ), 1), v)
}

// AppendFloat64Field appends a float64 field.
func AppendFloat64Field(dst []byte, id uint32, typ uint16, v float64) []byte {
	return AppendFloat64(append(AppendHeader(dst, id, typ), 8), v)
}

// AppendFloat32Field appends a float32 field.
func AppendFloat32Field(dst []byte, id uint32, typ uint16, v float32) []byte {
	return AppendFloat32(append(AppendHeader(dst, id, typ), 4), v)
}

// AppendTimeField appends a time.Time field.
func AppendTimeField(dst []byte, id uint32, typ uint16, t time.Time) []byte {
	dst, mark := BeginField(dst, id, typ)
	return End(appendTime(dst, t), mark)
}

// AppendUvarint appends an unsigned varint element (counts, unsigned ints).
func AppendUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// AppendVarint appends a zig-zag varint element (signed ints).
func AppendVarint(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

// AppendBool appends a bool element.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// AppendFloat64 appends a float64 element.
func AppendFloat64(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

// AppendFloat32 appends a float32 element.
func AppendFloat32(dst []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
}

// AppendStringElem appends a length-prefixed string element.
func AppendStringElem(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// AppendBytesElem appends a length-prefixed []byte element.
func AppendBytesElem(dst []byte, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

// AppendTimeElem appends a length-prefixed time.Time element.
func AppendTimeElem(dst []byte, t time.Time) []byte {
	dst, mark := Begin(dst)
	return End(appendTime(dst, t), mark)
}

func appendTime(dst []byte, t time.Time) []byte {
	out, err := t.AppendBinary(dst)
	if err != nil {
		// Only a zone offset that is not a whole minute fails; keep the
		// instant in UTC rather than losing the field.
		out, _ = t.UTC().AppendBinary(dst)
	}
	return out
}
