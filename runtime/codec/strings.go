package codec

import (
	"bytes"
	"unsafe"
)

// Strings gives the strings and byte slices decoded from one stored value
// a single allocation: the first one asked for copies the whole value, and
// each is then a part of that copy. A record's strings and []byte fields
// therefore cost one allocation together instead of one each. The price is
// retention: while any of them is reachable, the whole copy is, so a
// program that keeps one short string of a large record for long should
// clone it (strings.Clone).
//
// The parts are payloads of different fields or elements, so they never
// overlap: a byte slice handed out covers bytes no string covers, and
// writing to it changes no string. Its capacity is its length, so that
// appending to it copies it rather than running into its neighbour.
//
// Generated decoders make one per value with NewStrings and hand it down to
// the decoders of nested structs.
type Strings struct {
	base  []byte
	block []byte // the copy of base; never written through after it is made
}

// NewStrings returns a Strings for the payloads of the value b.
func NewStrings(b []byte) *Strings { return &Strings{base: b} }

// Of returns p as a string. p must be a payload of the value given to
// NewStrings (any other slice is copied on its own).
func (s *Strings) Of(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	off, ok := s.offset(p)
	if !ok {
		return string(p)
	}
	return unsafe.String(&s.block[off], len(p))
}

// Bytes returns p as a byte slice of the caller's: a zero-length payload
// gives an empty, non-nil slice. p must be a payload of the value given to
// NewStrings that no string is made of (any other slice is copied on its
// own).
func (s *Strings) Bytes(p []byte) []byte {
	if len(p) == 0 {
		return []byte{}
	}
	off, ok := s.offset(p)
	if !ok {
		return Bytes(p)
	}
	return s.block[off : off+len(p) : off+len(p)]
}

// offset returns where p starts in the value, copying the value on first
// use, or false if p is not part of it.
func (s *Strings) offset(p []byte) (int, bool) {
	off := uintptr(unsafe.Pointer(unsafe.SliceData(p))) - uintptr(unsafe.Pointer(unsafe.SliceData(s.base)))
	if off >= uintptr(len(s.base)) || uintptr(len(p)) > uintptr(len(s.base))-off {
		return 0, false
	}
	if s.block == nil {
		s.block = bytes.Clone(s.base)
	}
	return int(off), true
}
