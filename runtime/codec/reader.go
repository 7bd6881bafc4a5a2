package codec

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// Decoding errors. A FieldError says which field they concern.
var (
	// ErrVersion means the value does not start with a known format version.
	ErrVersion = errors.New("codec: unknown value format version")
	// ErrTruncated means the value ends inside a field or element.
	ErrTruncated = errors.New("codec: value truncated")
	// ErrType means a stored field's type differs from the reader's.
	ErrType = errors.New("codec: stored field has a different type")
	// ErrRange means a stored number does not fit the reader's field.
	ErrRange = errors.New("codec: stored number out of range for field")
	// ErrMalformed means a payload is not a valid encoding of its type.
	ErrMalformed = errors.New("codec: malformed payload")
)

// FieldError is a decoding error in the field at Path (dot-separated for
// nested structs, for example "Address.City").
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return "field " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// InField wraps err as an error of field name; a FieldError from a nested
// struct gets name prepended to its path.
func InField(name string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Path: name + "." + fe.Path, Err: fe.Err}
	}
	return &FieldError{Path: name, Err: err}
}

// Reader walks the fields of an encoded value. The zero Reader has no
// fields. Payloads alias the input.
type Reader struct {
	b       []byte
	id      uint32
	typ     uint16
	payload []byte
	err     error
}

// NewReader returns a Reader over a stored value, checking its version byte.
func NewReader(b []byte) Reader {
	if len(b) == 0 || b[0] != Version {
		return Reader{err: ErrVersion}
	}
	return Reader{b: b[1:]}
}

// Fields returns a Reader over a nested struct's payload.
func Fields(b []byte) Reader { return Reader{b: b} }

// Next advances to the next field and reports whether there is one.
func (r *Reader) Next() bool {
	if r.err != nil || len(r.b) == 0 {
		return false
	}
	if len(r.b) < 7 {
		r.err = ErrTruncated
		return false
	}
	r.id = binary.LittleEndian.Uint32(r.b)
	r.typ = binary.LittleEndian.Uint16(r.b[4:])
	n, w := uint64(r.b[6]), 1 // most payloads are shorter than 128 bytes
	if n >= 0x80 {
		n, w = binary.Uvarint(r.b[6:])
	}
	if w <= 0 || n > uint64(len(r.b)-6-w) {
		r.err = ErrTruncated
		return false
	}
	start := 6 + w
	r.payload = r.b[start : start+int(n) : start+int(n)]
	r.b = r.b[start+int(n):]
	return true
}

// ID returns the current field's id.
func (r *Reader) ID() uint32 { return r.id }

// Type returns the current field's type hash.
func (r *Reader) Type() uint16 { return r.typ }

// Payload returns the current field's payload.
func (r *Reader) Payload() []byte { return r.payload }

// Err returns the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// Int decodes a signed integer payload that must fit in bits.
func Int(p []byte, bits int) (int64, error) {
	v, w := binary.Varint(p)
	if w <= 0 || w != len(p) {
		return 0, ErrMalformed
	}
	if !IntFits(v, bits) {
		return 0, ErrRange
	}
	return v, nil
}

// Uint decodes an unsigned integer payload that must fit in bits.
func Uint(p []byte, bits int) (uint64, error) {
	v, w := binary.Uvarint(p)
	if w <= 0 || w != len(p) {
		return 0, ErrMalformed
	}
	if !UintFits(v, bits) {
		return 0, ErrRange
	}
	return v, nil
}

// Bool decodes a bool payload.
func Bool(p []byte) (bool, error) {
	if len(p) != 1 || p[0] > 1 {
		return false, ErrMalformed
	}
	return p[0] == 1, nil
}

// Float64 decodes a float64 payload.
func Float64(p []byte) (float64, error) {
	if len(p) != 8 {
		return 0, ErrMalformed
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
}

// Float32 decodes a float32 payload.
func Float32(p []byte) (float32, error) {
	if len(p) != 4 {
		return 0, ErrMalformed
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(p)), nil
}

// Time decodes a time.Time payload.
func Time(p []byte) (time.Time, error) {
	var t time.Time
	if err := t.UnmarshalBinary(p); err != nil {
		return time.Time{}, ErrMalformed
	}
	return t, nil
}

// Bytes copies a []byte payload; a zero-length payload gives an empty,
// non-nil slice.
func Bytes(p []byte) []byte { return append(make([]byte, 0, len(p)), p...) }

// Elems reads the elements of a slice, array or map payload. Errors are
// sticky: after the first one every read returns a zero value and Err
// reports it, so generated code checks once at the end.
type Elems struct {
	b   []byte
	err error
}

// NewElems returns an Elems over p and the element count stored at its
// start. The count is checked against the payload's size, so a corrupt
// count cannot make the caller allocate more than the payload could hold.
func NewElems(p []byte) (Elems, int) {
	n, w := binary.Uvarint(p)
	if w <= 0 {
		return Elems{err: ErrTruncated}, 0
	}
	if n > uint64(len(p)-w) {
		return Elems{err: ErrMalformed}, 0
	}
	return Elems{b: p[w:]}, int(n)
}

// Err returns the first error met, or ErrMalformed if bytes are left over
// after the last element.
func (e *Elems) Err() error {
	if e.err == nil && len(e.b) != 0 {
		return ErrMalformed
	}
	return e.err
}

func (e *Elems) fail(err error) {
	if e.err == nil {
		e.err = err
	}
	e.b = nil
}

// Int reads a signed integer element that must fit in bits.
func (e *Elems) Int(bits int) int64 {
	v, w := binary.Varint(e.b)
	if w <= 0 {
		e.fail(ErrTruncated)
		return 0
	}
	if !IntFits(v, bits) {
		e.fail(ErrRange)
		return 0
	}
	e.b = e.b[w:]
	return v
}

// Uint reads an unsigned integer element that must fit in bits.
func (e *Elems) Uint(bits int) uint64 {
	v, w := binary.Uvarint(e.b)
	if w <= 0 {
		e.fail(ErrTruncated)
		return 0
	}
	if !UintFits(v, bits) {
		e.fail(ErrRange)
		return 0
	}
	e.b = e.b[w:]
	return v
}

// Bool reads a bool element.
func (e *Elems) Bool() bool {
	if len(e.b) < 1 {
		e.fail(ErrTruncated)
		return false
	}
	v, err := Bool(e.b[:1])
	if err != nil {
		e.fail(err)
		return false
	}
	e.b = e.b[1:]
	return v
}

// Float64 reads a float64 element.
func (e *Elems) Float64() float64 {
	if len(e.b) < 8 {
		e.fail(ErrTruncated)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(e.b))
	e.b = e.b[8:]
	return v
}

// Float32 reads a float32 element.
func (e *Elems) Float32() float32 {
	if len(e.b) < 4 {
		e.fail(ErrTruncated)
		return 0
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(e.b))
	e.b = e.b[4:]
	return v
}

// Raw reads a length-prefixed element and returns it without copying: the
// payload of a string, []byte, time, struct, slice, map or marshaler
// element.
func (e *Elems) Raw() []byte {
	var n uint64
	var w int
	if len(e.b) > 0 && e.b[0] < 0x80 {
		n, w = uint64(e.b[0]), 1
	} else {
		n, w = binary.Uvarint(e.b)
	}
	if w <= 0 || n > uint64(len(e.b)-w) {
		e.fail(ErrTruncated)
		return nil
	}
	p := e.b[w : w+int(n) : w+int(n)]
	e.b = e.b[w+int(n):]
	return p
}

// String reads a string element.
func (e *Elems) String() string { return string(e.Raw()) }

// Bytes reads a []byte element into a new slice.
func (e *Elems) Bytes() []byte {
	p := e.Raw()
	if e.err != nil {
		return nil
	}
	return Bytes(p)
}

// Time reads a time.Time element.
func (e *Elems) Time() time.Time {
	p := e.Raw()
	if e.err != nil {
		return time.Time{}
	}
	t, err := Time(p)
	if err != nil {
		e.fail(err)
	}
	return t
}

// Present reads the presence byte of a pointer element.
func (e *Elems) Present() bool { return e.Bool() }

// Fail records err (for example from a nested decoder) as the first error.
func (e *Elems) Fail(err error) {
	if err != nil {
		e.fail(err)
	}
}

// OK reports whether no error has been met so far.
func (e *Elems) OK() bool { return e.err == nil }
