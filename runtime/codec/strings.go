package codec

import "unsafe"

// Strings gives the strings decoded from one stored value a single
// allocation: the first string it is asked for copies the whole value, and
// every string is then a slice of that copy. A record's strings therefore
// cost one allocation together instead of one each. The price is
// retention: while any of them is reachable, the whole copy is, so a
// program that keeps one short string of a large record for long should
// clone it (strings.Clone).
//
// Generated decoders make one per value with NewStrings and hand it down to
// the decoders of nested structs.
type Strings struct {
	base  []byte
	block string
}

// NewStrings returns a Strings for the payloads of the value b.
func NewStrings(b []byte) *Strings { return &Strings{base: b} }

// Of returns p as a string. p must be a payload of the value given to
// NewStrings (any other slice is copied on its own).
func (s *Strings) Of(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	off := uintptr(unsafe.Pointer(unsafe.SliceData(p))) - uintptr(unsafe.Pointer(unsafe.SliceData(s.base)))
	if off >= uintptr(len(s.base)) || uintptr(len(p)) > uintptr(len(s.base))-off {
		return string(p)
	}
	if s.block == "" {
		s.block = string(s.base)
	}
	return s.block[off : off+uintptr(len(p))]
}
