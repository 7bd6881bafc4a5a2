package conformance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(out[i:], w[:])
	}
	return out
}

// testLargeValues checks that values of a mebibyte and more round-trip
// through every read path.
func (s *suite) testLargeValues(t *testing.T) {
	values := map[string][]byte{
		"1MiB":    randomBytes(1, 1<<20),
		"1MiB+1":  randomBytes(2, 1<<20+1),
		"between": []byte("small"),
	}
	b := s.fresh(t)
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		for k, v := range values {
			if err := txn.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	}))
	t.Run("Get", func(t *testing.T) {
		eachGetter(t, b, func(t *testing.T, get getter) {
			for k, want := range values {
				got, err := get([]byte(k), nil)
				if assert.NoError(t, err, k) {
					assert.True(t, bytes.Equal(want, got), "%s: value differs (%d bytes, want %d)", k, len(got), len(want))
				}
			}
		})
	})
	t.Run("Range", func(t *testing.T) {
		eachReader(t, b, func(t *testing.T, r backend.Reader) {
			it := r.Range(nil, nil, false)
			n := 0
			for it.Next() {
				n++
				want := values[string(it.Key())]
				assert.True(t, bytes.Equal(want, it.Value()), "%q: iterator value differs (%d bytes, want %d)",
					it.Key(), len(it.Value()), len(want))
			}
			assert.NoError(t, it.Close())
			assert.Equal(t, len(values), n)
		})
	})
}

// testManyKeys loads 100,000 keys in a scrambled order and checks that a
// full scan returns every one in order, that a reverse sub-range and point
// reads agree, and that Stats counts them.
func (s *suite) testManyKeys(t *testing.T) {
	const (
		n      = 100_000
		perTxn = 25_000
		stride = 7919 // prime, so i*stride mod n visits every index once
	)
	key := func(i int) []byte { return fmt.Appendf(nil, "key/%08d", i) }
	value := func(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }
	ctx := t.Context()
	b := s.fresh(t)
	for start := 0; start < n; start += perTxn {
		require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
			for j := start; j < start+perTxn; j++ {
				i := j * stride % n
				if err := txn.Set(key(i), value(i)); err != nil {
					return err
				}
			}
			return nil
		}))
	}

	v, err := b.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	it := v.Range(nil, nil, false)
	i := 0
	for it.Next() {
		if !bytes.Equal(key(i), it.Key()) || !bytes.Equal(value(i), it.Value()) {
			require.Failf(t, "wrong entry", "position %d: got %q=%x, want %q=%x", i, it.Key(), it.Value(), key(i), value(i))
		}
		i++
	}
	require.NoError(t, it.Close())
	assert.Equal(t, n, i, "keys counted by a full Range")

	var want []entry
	for i := 50_099; i >= 50_000; i-- {
		want = append(want, entry{string(key(i)), string(value(i))})
	}
	assertEntries(t, want, drain(t, v.Range(key(50_000), key(50_100), true)), "reverse sub-range")

	rng := rand.New(rand.NewPCG(3, 3))
	buf := make([]byte, 0, 16)
	for range 200 {
		i := rng.IntN(n)
		got, err := b.Get(ctx, key(i), buf[:0])
		require.NoError(t, err, "key %q", key(i))
		assert.Equal(t, value(i), got, "key %q", key(i))
	}
	_, err = b.Get(ctx, key(n), nil)
	assert.ErrorIs(t, err, backend.ErrNotFound)

	require.NoError(t, b.Flush(ctx)) // engines that estimate count flushed data best
	st, err := b.Stats(ctx)
	require.NoError(t, err)
	assertKeys(t, n, st)
}
