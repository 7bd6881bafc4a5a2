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
//
// A Reader keeps positions in b rather than re-slicing it, so that Next,
// which generated code calls through a pointer it cannot see is on the
// stack, stores no pointers and pays no write barriers.
type Reader struct {
	b     []byte
	start int // the current field's payload is b[start:end]
	end   int // and the next field's header starts at end
	id    uint32
	typ   uint16
	err   error
}

// NewReader returns a Reader over a stored value, checking its version byte.
func NewReader(b []byte) Reader {
	if len(b) == 0 || b[0] != Version {
		return Reader{err: ErrVersion}
	}
	return Reader{b: b, start: 1, end: 1}
}

// Fields returns a Reader over a nested struct's payload.
func Fields(b []byte) Reader { return Reader{b: b} }

// Next advances to the next field and reports whether there is one.
func (r *Reader) Next() bool {
	if r.err != nil || r.end >= len(r.b) {
		return false
	}
	b := r.b[r.end:]
	if len(b) < 7 {
		r.err = ErrTruncated
		return false
	}
	r.id = binary.LittleEndian.Uint32(b)
	r.typ = binary.LittleEndian.Uint16(b[4:])
	n, w := uint64(b[6]), 1 // most payloads are shorter than 128 bytes
	if n >= 0x80 {
		n, w = binary.Uvarint(b[6:])
	}
	if w <= 0 || n > uint64(len(b)-6-w) {
		r.err = ErrTruncated
		return false
	}
	r.start = r.end + 6 + w
	r.end = r.start + int(n)
	return true
}

// ID returns the current field's id.
func (r *Reader) ID() uint32 { return r.id }

// Type returns the current field's type hash.
func (r *Reader) Type() uint16 { return r.typ }

// Payload returns the current field's payload.
func (r *Reader) Payload() []byte { return r.b[r.start:r.end:r.end] }

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
// reports it, so generated code checks once at the end. Like Reader, it
// keeps a position rather than re-slicing its payload.
type Elems struct {
	b   []byte
	pos int // the next element starts at b[pos]
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
	return Elems{b: p, pos: w}, int(n)
}

// Err returns the first error met, or ErrMalformed if bytes are left over
// after the last element.
func (e *Elems) Err() error {
	if e.err == nil && e.pos != len(e.b) {
		return ErrMalformed
	}
	return e.err
}

func (e *Elems) fail(err error) {
	if e.err == nil {
		e.err = err
	}
	e.pos = len(e.b)
}

// rest is what is left to read.
func (e *Elems) rest() []byte { return e.b[e.pos:] }

// Int reads a signed integer element that must fit in bits.
func (e *Elems) Int(bits int) int64 {
	v, w := binary.Varint(e.rest())
	if w <= 0 {
		e.fail(ErrTruncated)
		return 0
	}
	if !IntFits(v, bits) {
		e.fail(ErrRange)
		return 0
	}
	e.pos += w
	return v
}

// Uint reads an unsigned integer element that must fit in bits.
func (e *Elems) Uint(bits int) uint64 {
	v, w := binary.Uvarint(e.rest())
	if w <= 0 {
		e.fail(ErrTruncated)
		return 0
	}
	if !UintFits(v, bits) {
		e.fail(ErrRange)
		return 0
	}
	e.pos += w
	return v
}

// Bool reads a bool element.
func (e *Elems) Bool() bool {
	b := e.rest()
	if len(b) < 1 {
		e.fail(ErrTruncated)
		return false
	}
	v, err := Bool(b[:1])
	if err != nil {
		e.fail(err)
		return false
	}
	e.pos++
	return v
}

// Float64 reads a float64 element.
func (e *Elems) Float64() float64 {
	b := e.rest()
	if len(b) < 8 {
		e.fail(ErrTruncated)
		return 0
	}
	e.pos += 8
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// Float32 reads a float32 element.
func (e *Elems) Float32() float32 {
	b := e.rest()
	if len(b) < 4 {
		e.fail(ErrTruncated)
		return 0
	}
	e.pos += 4
	return math.Float32frombits(binary.LittleEndian.Uint32(b))
}

// Raw reads a length-prefixed element and returns it without copying: the
// payload of a string, []byte, time, struct, slice, map or marshaler
// element.
func (e *Elems) Raw() []byte {
	b := e.rest()
	var n uint64
	var w int
	if len(b) > 0 && b[0] < 0x80 {
		n, w = uint64(b[0]), 1
	} else {
		n, w = binary.Uvarint(b)
	}
	if w <= 0 || n > uint64(len(b)-w) {
		e.fail(ErrTruncated)
		return nil
	}
	e.pos += w + int(n)
	return b[w : w+int(n) : w+int(n)]
}

// String reads a string element.
func (e *Elems) String() string { return string(e.Raw()) }

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
