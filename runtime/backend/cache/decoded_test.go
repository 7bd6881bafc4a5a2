package cache_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/memory"
)

// counting is a Decoder that parses a decimal value and counts its calls;
// it fails while fail is set.
type counting struct {
	d     backend.Decoder
	calls atomic.Int64
	fail  atomic.Bool
}

var errDecode = errors.New("cannot decode")

func newCounting() *counting {
	c := &counting{}
	c.d.Decode = func(v []byte) (any, error) {
		c.calls.Add(1)
		if c.fail.Load() {
			return nil, errDecode
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		return n, err
	}
	return c
}

func set(t *testing.T, b backend.Backend, key, value string) {
	t.Helper()
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error { return txn.Set([]byte(key), []byte(value)) }))
}

func getDecoded(t *testing.T, b *cache.Backend, key string, d *counting) int64 {
	t.Helper()
	v, err := b.GetDecoded(t.Context(), []byte(key), &d.d)
	require.NoError(t, err)
	return v.(int64)
}

// TestGetDecodedOnce: a value is decoded once while it stays cached, and
// again only after a commit changes it; a rollback changes nothing.
func TestGetDecodedOnce(t *testing.T) {
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			b := cache.New(memory.New(), p.opts...)
			defer b.Close()
			d := newCounting()
			set(t, b, "k", "1")
			for range 3 {
				require.Equal(t, int64(1), getDecoded(t, b, "k", d))
			}
			require.Equal(t, int64(1), d.calls.Load(), "the miss decodes, the hits share its result")

			set(t, b, "k", "2")
			require.Equal(t, int64(2), getDecoded(t, b, "k", d), "a committed write is seen at once")
			require.Equal(t, int64(2), getDecoded(t, b, "k", d))
			require.Equal(t, int64(2), d.calls.Load())

			errRollback := errors.New("roll back")
			err := b.Update(t.Context(), func(txn backend.Txn) error {
				require.NoError(t, txn.Set([]byte("k"), []byte("3")))
				return errRollback
			})
			require.ErrorIs(t, err, errRollback)
			require.Equal(t, int64(2), getDecoded(t, b, "k", d))
			require.Equal(t, int64(2), d.calls.Load(), "a rollback leaves the decoded value in place")

			require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error { return txn.Delete([]byte("k")) }))
			_, err = b.GetDecoded(t.Context(), []byte("k"), &d.d)
			require.ErrorIs(t, err, backend.ErrNotFound)
		})
	}
}

// TestGetDecodedPerDecoder: results of different Decoders are kept apart,
// even when they decode the same way.
func TestGetDecodedPerDecoder(t *testing.T) {
	b := cache.New(memory.New())
	defer b.Close()
	set(t, b, "k", "7")
	d1, d2 := newCounting(), newCounting()
	d2.d.Decode = func(v []byte) (any, error) { d2.calls.Add(1); return string(v), nil }
	require.Equal(t, int64(7), getDecoded(t, b, "k", d1))
	v, err := b.GetDecoded(t.Context(), []byte("k"), &d2.d)
	require.NoError(t, err)
	require.Equal(t, "7", v, "d2's own result, not d1's")
	require.Equal(t, int64(7), getDecoded(t, b, "k", d1))
	require.Equal(t, int64(2), d1.calls.Load(), "d2 replaced d1's result")
	require.Equal(t, int64(1), d2.calls.Load())
}

// TestGetDecodedErrorNotKept: a failed decode is returned as it is, and
// the next read tries again.
func TestGetDecodedErrorNotKept(t *testing.T) {
	b := cache.New(memory.New())
	defer b.Close()
	set(t, b, "k", "5")
	d := newCounting()
	d.fail.Store(true)
	_, err := b.GetDecoded(t.Context(), []byte("k"), &d.d) // a miss
	require.ErrorIs(t, err, errDecode)
	_, err = b.GetDecoded(t.Context(), []byte("k"), &d.d) // a hit
	require.ErrorIs(t, err, errDecode)
	d.fail.Store(false)
	require.Equal(t, int64(5), getDecoded(t, b, "k", d))
	require.Equal(t, int64(3), d.calls.Load())
	got, err := b.Get(t.Context(), []byte("k"), nil)
	require.NoError(t, err)
	require.Equal(t, "5", string(got), "the value itself was cached all along")
}

// TestGetDecodedSize: a decoded value counts toward the cache's bytes.
func TestGetDecodedSize(t *testing.T) {
	b := cache.New(memory.New())
	defer b.Close()
	set(t, b, "k", "12345")
	_, err := b.Get(t.Context(), []byte("k"), nil)
	require.NoError(t, err)
	raw := b.CacheStats().Bytes
	d := newCounting()
	getDecoded(t, b, "k", d)
	require.Greater(t, b.CacheStats().Bytes, raw)
	require.Equal(t, int64(1), b.CacheStats().Entries)
}

// TestGetDecodedClosed: the layer's rules for a closed cache and an ended
// context hold for GetDecoded too.
func TestGetDecodedClosed(t *testing.T) {
	b := cache.New(memory.New())
	d := newCounting()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.GetDecoded(ctx, []byte("k"), &d.d)
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, b.Close())
	_, err = b.GetDecoded(t.Context(), []byte("k"), &d.d)
	require.ErrorIs(t, err, backend.ErrClosed)
	require.Zero(t, d.calls.Load())
}
