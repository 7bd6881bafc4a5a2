package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

type ticket uint16

type handle string

func TestKeyAsConvertsWithoutLoss(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  func() (any, bool)
		want any
		ok   bool
	}{
		{"same type", func() (any, bool) { return keyAs[int64](int64(-3)) }, int64(-3), true},
		{"untyped constant to int64", func() (any, bool) { return keyAs[int64](7) }, int64(7), true},
		{"int to named uint16", func() (any, bool) { return keyAs[ticket](7) }, ticket(7), true},
		{"whole float to int", func() (any, bool) { return keyAs[int32](2.0) }, int32(2), true},
		{"string to named string", func() (any, bool) { return keyAs[handle]("a") }, handle("a"), true},
		{"bytes to string", func() (any, bool) { return keyAs[string]([]byte("ab")) }, "ab", true},
		{"string to bytes", func() (any, bool) { return keyAs[[]byte]("ab") }, []byte("ab"), true},
		{"negative to unsigned", func() (any, bool) { return keyAs[ticket](-1) }, ticket(0), false},
		{"negative to uint64", func() (any, bool) { return keyAs[uint64](-1) }, uint64(0), false},
		{"huge unsigned to int64", func() (any, bool) { return keyAs[int64](uint64(1 << 63)) }, int64(0), false},
		{"out of range", func() (any, bool) { return keyAs[ticket](70000) }, ticket(0), false},
		{"fraction", func() (any, bool) { return keyAs[int64](7.5) }, int64(0), false},
		{"number to string", func() (any, bool) { return keyAs[string](65) }, "", false},
		{"string to number", func() (any, bool) { return keyAs[int64]("7") }, int64(0), false},
		{"struct", func() (any, bool) { return keyAs[struct{ A int }](struct{ A int64 }{1}) }, struct{ A int }{}, false},
		{"nil", func() (any, bool) { return keyAs[int64](nil) }, int64(0), false},
	} {
		got, ok := tc.got()
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}
