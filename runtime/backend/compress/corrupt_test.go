package compress_test

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/compress"
	"github.com/synapsed/storegen/runtime/backend/memory"
)

// storedForm returns value as the layer stores it with codec c.
func storedForm(t *testing.T, c compress.Codec, value []byte) []byte {
	inner := memory.New()
	b := compress.New(inner, c)
	defer b.Close()
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		return txn.Set([]byte("k"), value)
	}))
	stored, err := inner.Get(t.Context(), []byte("k"), nil)
	require.NoError(t, err)
	require.Equal(t, byte(c), stored[0], "the record was stored raw")
	return stored
}

// TestCorrupt stores damaged values in the inner engine directly and
// requires every read path of the layer to report backend.ErrCorrupt, and
// a Range to stop at the damaged value after returning the good ones.
func TestCorrupt(t *testing.T) {
	rec := records(1)[0]
	valid := map[compress.Codec][]byte{}
	for _, c := range codecs[1:] {
		valid[c] = storedForm(t, c, rec)
	}
	truncated := func(c compress.Codec) []byte { v := valid[c]; return v[:len(v)/2] }
	flipLast := func(c compress.Codec) []byte {
		v := append([]byte{}, valid[c]...)
		v[len(v)-1] ^= 0xFF
		return v
	}
	cases := []struct {
		name   string
		stored []byte
	}{
		{"no header", []byte{}},
		{"unknown header", []byte{9, 'x', 'y'}},
		{"header 255", append([]byte{255}, rec...)},
		{"lz4 header only", []byte{byte(compress.LZ4)}},
		{"lz4 bad length", []byte{byte(compress.LZ4), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{"lz4 zero length", append([]byte{byte(compress.LZ4), 0}, "0000000000000000"...)},
		{"lz4 length beyond the block", binary.AppendUvarint([]byte{byte(compress.LZ4)}, 1<<30)},
		{"lz4 length wrong", append(binary.AppendUvarint([]byte{byte(compress.LZ4)}, uint64(len(rec)+1)), valid[compress.LZ4][3:]...)},
		{"lz4 truncated", truncated(compress.LZ4)},
		{"lz4 garbage", append([]byte{byte(compress.LZ4), 100}, 0xF0, 0xFF, 0xFF, 0xFF)},
		{"zstd header only", []byte{byte(compress.Zstd)}},
		{"zstd garbage", append([]byte{byte(compress.Zstd)}, rec...)},
		{"zstd truncated", truncated(compress.Zstd)},
		{"zstd checksum", flipLast(compress.Zstd)},
		{"snappy header only", []byte{byte(compress.Snappy)}},
		{"snappy truncated", truncated(compress.Snappy)},
		{"s2 truncated", truncated(compress.S2)},
		{"s2 huge length", append([]byte{byte(compress.S2)}, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			inner := memory.New()
			require.NoError(t, inner.Update(ctx, func(txn backend.Txn) error {
				if err := txn.Set([]byte("a-good"), []byte{0, 'o', 'k'}); err != nil {
					return err
				}
				return txn.Set([]byte("b-bad"), c.stored)
			}))
			b := compress.New(inner, compress.Zstd)
			defer b.Close()
			assertCorrupt := func(err error, path string) {
				t.Helper()
				assert.ErrorIs(t, err, backend.ErrCorrupt, path)
				if err != nil {
					assert.Contains(t, err.Error(), "compress:", path)
				}
			}
			require.NotPanics(t, func() {
				_, err := b.Get(ctx, []byte("b-bad"), nil)
				assertCorrupt(err, "Backend.Get")

				v, err := b.View(ctx)
				require.NoError(t, err)
				defer v.Close()
				_, err = v.Get([]byte("b-bad"), nil)
				assertCorrupt(err, "View.Get")
				it := v.Range(nil, nil, false)
				require.True(t, it.Next())
				assert.Equal(t, "ok", string(it.Value()))
				assert.False(t, it.Next(), "Range went past a damaged value")
				assertCorrupt(it.Err(), "Iterator.Err")
				assertCorrupt(it.Close(), "Iterator.Close")
				assert.False(t, it.Next(), "Next after the error")

				err = b.Update(ctx, func(txn backend.Txn) error {
					_, err := txn.Get([]byte("b-bad"), nil)
					return err
				})
				assertCorrupt(err, "Txn.Get")
			})
		})
	}
}
