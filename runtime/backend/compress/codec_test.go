package compress

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// sample is a value every codec shrinks.
var sample = bytes.Repeat([]byte(`{"id":"user-1","tags":["admin","beta"],"bio":"likes caching"},`), 8)

// checkDecode decodes stored and fails t if decode panicked or returned an
// error that does not wrap backend.ErrCorrupt.
func checkDecode(t testing.TB, stored []byte) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("decode(%x) panicked: %v", stored, r)
		}
	}()
	if _, err := decode(nil, stored); err != nil && !errors.Is(err, backend.ErrCorrupt) {
		t.Fatalf("decode(%x): %v does not wrap ErrCorrupt", stored, err)
	}
}

// TestDecodeDamaged damages valid stored values of every codec at random
// (flipped bytes, truncation, appended junk, a changed header) and requires
// decode to return a value or ErrCorrupt, never panic. Block formats
// without checksums may decode damage into a wrong value; that is what
// they are, and it is no panic.
func TestDecodeDamaged(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for c := LZ4; c <= S2; c++ {
		valid := encode(nil, sample, c, 0)
		require.Equal(t, byte(c), valid[0])
		got, err := decode(nil, valid)
		require.NoError(t, err)
		require.Equal(t, sample, got)
		for range 2000 {
			d := bytes.Clone(valid)
			switch rng.IntN(4) {
			case 0:
				for range 1 + rng.IntN(3) {
					d[1+rng.IntN(len(d)-1)] ^= byte(1 + rng.IntN(255))
				}
			case 1:
				d = d[:rng.IntN(len(d))]
			case 2:
				for range 1 + rng.IntN(16) {
					d = append(d, byte(rng.Uint32()))
				}
			case 3:
				d[0] = byte(rng.IntN(8))
			}
			checkDecode(t, d)
		}
	}
}

// FuzzDecode feeds arbitrary stored values to decode.
func FuzzDecode(f *testing.F) {
	for c := None; c <= S2; c++ {
		f.Add(encode(nil, sample, c, 0))
	}
	f.Add([]byte{})
	f.Add([]byte{byte(LZ4), 0xFF, 0xFF, 0xFF, 0xFF, 0x0F})
	f.Fuzz(func(t *testing.T, stored []byte) { checkDecode(t, stored) })
}
