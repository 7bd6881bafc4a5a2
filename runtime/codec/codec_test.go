package codec_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/codec"
)

func TestKeyIntOrder(t *testing.T) {
	vals := []int64{math.MinInt64, -1 << 40, -5, -1, 0, 1, 3, 1 << 40, math.MaxInt64}
	for i := 1; i < len(vals); i++ {
		a, b := codec.AppendKeyInt(nil, vals[i-1]), codec.AppendKeyInt(nil, vals[i])
		assert.Negative(t, bytes.Compare(a, b), "%d before %d", vals[i-1], vals[i])
	}
	for _, v := range vals {
		got, rest, err := codec.KeyInt(codec.AppendKeyInt(nil, v))
		require.NoError(t, err)
		assert.Equal(t, v, got)
		assert.Empty(t, rest)
	}
}

func TestKeyStringOrderAndPrefixFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0xFF}
	randStr := func() string {
		b := make([]byte, rng.IntN(5))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 5000 {
		a, b := randStr(), randStr()
		ea, eb := codec.AppendKeyString(nil, a), codec.AppendKeyString(nil, b)
		require.Equal(t, strings.Compare(a, b), bytes.Compare(ea, eb), "%q vs %q", a, b)
		// Tuples: (a, 1) vs (b, 2) order by a first, whatever the lengths.
		ta := codec.AppendKeyInt(append([]byte{}, ea...), 1)
		tb := codec.AppendKeyInt(append([]byte{}, eb...), 2)
		if a != b {
			require.Equal(t, strings.Compare(a, b), bytes.Compare(ta, tb), "tuple %q vs %q", a, b)
		}
		got, rest, err := codec.KeyString(ta)
		require.NoError(t, err)
		require.Equal(t, a, got)
		require.Len(t, rest, 8)
		if strings.HasPrefix(b, a) {
			require.True(t, bytes.HasPrefix(eb, codec.AppendKeyStringPrefix(nil, a)))
		}
	}
}

func TestKeyTime(t *testing.T) {
	times := []time.Time{
		time.Date(1960, 1, 1, 0, 0, 0, 5, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 26, 15, 0, 0, 1, time.FixedZone("x", 3600)),
		time.Date(2026, 11, 26, 15, 0, 0, 2, time.FixedZone("x", 3600)),
	}
	for i, tm := range times {
		enc := codec.AppendKeyTime(nil, tm)
		got, _, err := codec.KeyTime(enc)
		require.NoError(t, err)
		assert.True(t, tm.Equal(got))
		if i > 0 {
			assert.Negative(t, bytes.Compare(codec.AppendKeyTime(nil, times[i-1]), enc))
		}
	}
}

func TestKeyDecodeErrors(t *testing.T) {
	for _, b := range [][]byte{nil, {'a'}, {'a', 0x00}, {'a', 0x00, 0x02}} {
		_, _, err := codec.KeyString(b)
		assert.ErrorIs(t, err, codec.ErrKey, "%q", b)
	}
	_, _, err := codec.KeyInt([]byte{1, 2})
	assert.ErrorIs(t, err, codec.ErrKey)
}

func TestFieldsRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 300) // needs a two-byte length after End
	now := time.Date(2026, 11, 26, 15, 4, 5, 6, time.FixedZone("CET", 3600))

	b := []byte{codec.Version}
	b = codec.AppendStringField(b, 1, 7, "hi")
	b = codec.AppendIntField(b, 2, 8, -12345)
	b = codec.AppendUintField(b, 3, 9, 1<<60)
	b = codec.AppendBoolField(b, 4, 10, true)
	b = codec.AppendFloat64Field(b, 5, 11, 2.5)
	b = codec.AppendFloat32Field(b, 6, 12, -1.25)
	b = codec.AppendTimeField(b, 7, 13, now)
	b, mark := codec.BeginField(b, 8, 14)
	b = codec.AppendUvarint(b, 3)
	b = codec.AppendStringElem(b, long)
	b = codec.AppendStringElem(b, "")
	b = codec.AppendStringElem(b, "z")
	b = codec.End(b, mark)
	b = codec.AppendBytesField(b, 9, 15, []byte{})

	r := codec.NewReader(b)
	seen := 0
	for r.Next() {
		seen++
		p := r.Payload()
		assert.Equal(t, uint16(r.ID()+6), r.Type())
		switch r.ID() {
		case 1:
			assert.Equal(t, "hi", string(p))
		case 2:
			v, err := codec.Int(p, 16)
			require.NoError(t, err)
			assert.Equal(t, int64(-12345), v)
			_, err = codec.Int(p, 8)
			assert.ErrorIs(t, err, codec.ErrRange)
		case 3:
			v, err := codec.Uint(p, 64)
			require.NoError(t, err)
			assert.Equal(t, uint64(1<<60), v)
			_, err = codec.Uint(p, 32)
			assert.ErrorIs(t, err, codec.ErrRange)
		case 4:
			v, err := codec.Bool(p)
			require.NoError(t, err)
			assert.True(t, v)
		case 5:
			v, err := codec.Float64(p)
			require.NoError(t, err)
			assert.Equal(t, 2.5, v)
		case 6:
			v, err := codec.Float32(p)
			require.NoError(t, err)
			assert.Equal(t, float32(-1.25), v)
		case 7:
			v, err := codec.Time(p)
			require.NoError(t, err)
			assert.True(t, now.Equal(v))
			_, off := v.Zone()
			assert.Equal(t, 3600, off)
		case 8:
			e, n := codec.NewElems(p)
			require.Equal(t, 3, n)
			assert.Equal(t, []string{long, "", "z"}, []string{e.String(), e.String(), e.String()})
			require.NoError(t, e.Err())
		case 9:
			assert.NotNil(t, codec.Bytes(p))
			assert.Empty(t, codec.Bytes(p))
		}
	}
	require.NoError(t, r.Err())
	assert.Equal(t, 9, seen)
}

func TestElemsRejectCorruptCounts(t *testing.T) {
	// A count larger than the payload could hold must not reach make().
	p := codec.AppendUvarint(nil, 1<<40)
	e, n := codec.NewElems(p)
	assert.Zero(t, n)
	assert.ErrorIs(t, e.Err(), codec.ErrMalformed)

	p = codec.AppendUvarint(nil, 2)
	p = codec.AppendVarint(p, 1)
	p = append(p, 0x80) // a varint that never ends
	e, n = codec.NewElems(p)
	require.Equal(t, 2, n)
	assert.Equal(t, int64(1), e.Int(64))
	assert.Zero(t, e.Int(64))
	assert.ErrorIs(t, e.Err(), codec.ErrTruncated)
}

func TestReaderErrors(t *testing.T) {
	r := codec.NewReader([]byte{99})
	assert.False(t, r.Next())
	assert.ErrorIs(t, r.Err(), codec.ErrVersion)

	full := codec.AppendStringField([]byte{codec.Version}, 1, 1, "hello")
	for cut := 2; cut < len(full); cut++ {
		r := codec.NewReader(full[:cut])
		for r.Next() {
		}
		assert.ErrorIs(t, r.Err(), codec.ErrTruncated, "cut at %d", cut)
	}
	err := codec.InField("Address", codec.InField("City", codec.ErrType))
	assert.EqualError(t, err, "field Address.City: codec: stored field has a different type")
	assert.ErrorIs(t, err, codec.ErrType)
}

func TestAppendAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 1024)
	now := time.Now()
	elem := strings.Repeat("y", 10)
	allocs := testing.AllocsPerRun(100, func() {
		b := append(buf[:0], codec.Version)
		b = codec.AppendStringField(b, 1, 1, "hello")
		b = codec.AppendIntField(b, 2, 2, 42)
		b = codec.AppendTimeField(b, 3, 3, now)
		b, m := codec.BeginField(b, 4, 4)
		b = codec.AppendUvarint(b, 1)
		b = codec.AppendStringElem(b, elem)
		_ = codec.End(b, m)
	})
	assert.Zero(t, allocs)
}

func FuzzReader(f *testing.F) {
	seed := codec.AppendStringField([]byte{codec.Version}, 1, 1, "x")
	f.Add(seed)
	f.Add([]byte{codec.Version, 1, 0, 0, 0, 1, 0, 5, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := codec.NewReader(b)
		for r.Next() {
			p := r.Payload()
			_, _ = codec.Int(p, 32)
			_, _ = codec.Time(p)
			e, n := codec.NewElems(p)
			out := make([]string, 0, n)
			for range n {
				out = append(out, e.String())
			}
			_ = slices.Clip(out)
			_ = e.Err()
		}
	})
}

func TestStringsShareOneCopy(t *testing.T) {
	value := []byte("hello, world")
	s := codec.NewStrings(value)
	a, b := s.Of(value[0:5]), s.Of(value[7:12])
	if a != "hello" || b != "world" {
		t.Fatalf("got %q, %q", a, b)
	}
	if unsafe.Pointer(unsafe.StringData(b)) != unsafe.Add(unsafe.Pointer(unsafe.StringData(a)), 7) {
		t.Error("the strings of one value should be slices of one copy")
	}
	value[0] = 'J' // the copy is the strings' own
	if a != "hello" {
		t.Errorf("a string changed with its source: %q", a)
	}
	if got := s.Of(nil); got != "" {
		t.Errorf("empty payload: %q", got)
	}
	other := []byte("elsewhere")
	if got := s.Of(other); got != "elsewhere" {
		t.Errorf("a slice of another buffer: %q", got)
	}
	if got := s.Of(append(value[:3:3], 'x')); got != "Jelx" {
		t.Errorf("a slice that grew past the value: %q", got)
	}
	if n := testing.AllocsPerRun(100, func() {
		s := codec.NewStrings(value)
		_, _ = s.Of(value[0:5]), s.Of(value[7:12])
	}); n != 1 {
		t.Errorf("%v allocations for two strings, want 1", n)
	}
}

// TestStringsBytes: byte slices come from the same copy as the strings,
// cover only their own payload, and cannot grow into a neighbour.
func TestStringsBytes(t *testing.T) {
	value := []byte("name:blob:tail")
	s := codec.NewStrings(value)
	name, blob, tail := s.Of(value[0:4]), s.Bytes(value[5:9]), s.Of(value[10:14])
	require.Equal(t, "name", name)
	require.Equal(t, []byte("blob"), blob)
	require.Equal(t, len(blob), cap(blob), "capacity cut to the length")
	require.Equal(t, unsafe.Add(unsafe.Pointer(unsafe.StringData(name)), 5), unsafe.Pointer(unsafe.SliceData(blob)),
		"one copy for strings and bytes")

	value[5] = 'X' // the copy is the decoded value's own
	require.Equal(t, []byte("blob"), blob)
	blob[0], blob[3] = 'B', 'B' // writing the slice changes no string
	grown := append(blob, '!')  // nor does appending to it: that copies
	grown[0] = 'C'
	require.Equal(t, []byte("BloB"), blob)
	require.Equal(t, "name", name)
	require.Equal(t, "tail", tail)

	empty := s.Bytes(value[3:3])
	require.NotNil(t, empty)
	require.Empty(t, empty)
	other := []byte("elsewhere")
	got := s.Bytes(other)
	require.Equal(t, other, got)
	got[0] = 'E'
	require.Equal(t, byte('e'), other[0], "a slice of another buffer is copied")
	require.Equal(t, 1.0, testing.AllocsPerRun(100, func() {
		s := codec.NewStrings(value)
		_, _ = s.Of(value[0:4]), s.Bytes(value[5:9])
	}), "a string and a byte slice share one allocation")
}

// TestIntFieldLayout pins the integer fields to the format: header, one
// length byte, then the (zig-zag) varint, at every varint width.
func TestIntFieldLayout(t *testing.T) {
	header := codec.AppendHeader(nil, 0x01020304, 0x0506)
	want := func(payload []byte) []byte {
		return append(append(append([]byte(nil), header...), byte(len(payload))), payload...)
	}
	for _, v := range []int64{0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 1 << 40, -(1 << 40), math.MaxInt64, math.MinInt64} {
		got := codec.AppendIntField(nil, 0x01020304, 0x0506, v)
		assert.Equal(t, want(binary.AppendVarint(nil, v)), got, "int %d", v)
	}
	for _, v := range []uint64{0, 1, 127, 128, 16383, 16384, 1 << 63, math.MaxUint64} {
		got := codec.AppendUintField(nil, 0x01020304, 0x0506, v)
		assert.Equal(t, want(binary.AppendUvarint(nil, v)), got, "uint %d", v)
	}
	assert.Equal(t, []byte{4, 3, 2, 1, 6, 5}, header, "little-endian id, then type")
}
