// Package codec holds the encoding primitives that generated stores call:
// order-preserving key encoding (key.go) and the schema-tolerant binary value
// format (value.go, reader.go). It has no state and knows nothing of stores
// or backends; the generator decides which primitive each field uses.
package codec

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"time"
	"unsafe"
)

// ErrKey is wrapped by every key decoding error.
var ErrKey = errors.New("codec: malformed key")

// Key encoding. Every encoded component is self-delimiting and compares
// bytewise in the order of its value, so a tuple of components encodes to a
// byte string whose order is the tuple's lexicographic order and a leading
// subset of components is a byte prefix of every tuple that starts with it.
//
//	string, []byte: bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//	signed ints:    8 bytes big-endian with the sign bit flipped
//	unsigned ints:  8 bytes big-endian
//	time.Time:      signed Unix seconds (as above) then 4 bytes of nanoseconds
//	[N]byte:        the N bytes as they are
//
// Integers of every width take 8 bytes, so widening a key field's type keeps
// the stored keys valid.

// AppendKeyString appends the key encoding of s.
func AppendKeyString(dst []byte, s string) []byte {
	dst = appendEscaped(dst, s)
	return append(dst, 0x00, 0x01)
}

// AppendKeyBytes appends the key encoding of b; it equals that of string(b).
func AppendKeyBytes(dst []byte, b []byte) []byte {
	// b is only read, so it is viewed as a string without copying.
	dst = appendEscaped(dst, unsafe.String(unsafe.SliceData(b), len(b)))
	return append(dst, 0x00, 0x01)
}

// AppendKeyStringPrefix appends the encoding of s without its terminator, so
// that the result is a byte prefix of the key of every string starting with s.
func AppendKeyStringPrefix(dst []byte, s string) []byte {
	return appendEscaped(dst, s)
}

// appendEscaped appends s with each 0x00 escaped, copying the runs
// between them whole: keys rarely hold a 0x00.
func appendEscaped(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, 0x00)
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, 0x00, 0xFF)
		s = s[i+1:]
	}
}

// AppendKeyInt appends the key encoding of a signed integer.
func AppendKeyInt(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

// AppendKeyUint appends the key encoding of an unsigned integer.
func AppendKeyUint(dst []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, v)
}

// AppendKeyTime appends the key encoding of t. The location is not kept: keys
// compare instants.
func AppendKeyTime(dst []byte, t time.Time) []byte {
	dst = AppendKeyInt(dst, t.Unix())
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

// AppendKeyFixed appends b as it is; for [N]byte keys, whose length is fixed.
func AppendKeyFixed(dst []byte, b []byte) []byte {
	return append(dst, b...)
}

// KeyString decodes a string component and returns the rest of b.
func KeyString(b []byte) (string, []byte, error) {
	v, rest, err := KeyBytes(b)
	return string(v), rest, err
}

// KeyBytes decodes a []byte component and returns the rest of b.
func KeyBytes(b []byte) ([]byte, []byte, error) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != 0x00 {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			return nil, nil, ErrKey
		}
		switch b[i+1] {
		case 0xFF:
			out = append(out, 0x00)
			i++
		case 0x01:
			return out, b[i+2:], nil
		default:
			return nil, nil, ErrKey
		}
	}
	return nil, nil, ErrKey
}

// KeyInt decodes a signed integer component and returns the rest of b.
func KeyInt(b []byte) (int64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, ErrKey
	}
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), b[8:], nil
}

// KeyUint decodes an unsigned integer component and returns the rest of b.
func KeyUint(b []byte) (uint64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, ErrKey
	}
	return binary.BigEndian.Uint64(b), b[8:], nil
}

// KeyTime decodes a time component (in UTC) and returns the rest of b.
func KeyTime(b []byte) (time.Time, []byte, error) {
	sec, rest, err := KeyInt(b)
	if err != nil || len(rest) < 4 {
		return time.Time{}, nil, ErrKey
	}
	nsec := binary.BigEndian.Uint32(rest)
	if nsec >= 1e9 {
		return time.Time{}, nil, ErrKey
	}
	return time.Unix(sec, int64(nsec)).UTC(), rest[4:], nil
}

// KeyFixed decodes an n-byte component into dst and returns the rest of b.
func KeyFixed(b []byte, dst []byte) ([]byte, error) {
	if len(b) < len(dst) {
		return nil, ErrKey
	}
	copy(dst, b)
	return b[len(dst):], nil
}

// IntFits reports whether v fits a signed integer of the given bit size.
func IntFits(v int64, bits int) bool {
	if bits >= 64 {
		return true
	}
	return v >= -1<<(bits-1) && v <= 1<<(bits-1)-1
}

// UintFits reports whether v fits an unsigned integer of the given bit size.
func UintFits(v uint64, bits int) bool {
	return bits >= 64 || v <= math.MaxUint64>>(64-bits)
}
