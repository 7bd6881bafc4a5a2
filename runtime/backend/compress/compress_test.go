package compress_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/compress"
	"github.com/synapsed/storegen/runtime/backend/conformance"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/backend/pebble"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var codecs = []compress.Codec{compress.None, compress.LZ4, compress.Zstd, compress.Snappy, compress.S2}

// engine opens an inner backend in dir; durable engines reopen from it.
type engine struct {
	name    string
	open    func(t testing.TB, dir string) backend.Backend
	durable bool
}

var (
	memoryEngine = engine{name: "memory", open: func(testing.TB, string) backend.Backend { return memory.New() }}
	pebbleEngine = engine{name: "pebble", durable: true, open: func(t testing.TB, dir string) backend.Backend {
		// The layer plays no part in durability, so skip the syncs.
		b, err := pebble.Open(filepath.Join(dir, "db"), pebble.NoSync(), pebble.CacheSize(1<<20))
		require.NoError(t, err)
		return b
	}}
)

// TestConformance runs the shared suite with every codec over memory and
// Pebble. MinSize(5) makes all but the suite's tiniest values candidates
// for compression; those that shrink are stored compressed. (The 100,000
// four-byte values of ManyKeys stay raw, which keeps the suite quick.)
//
// The codec changes nothing about how the layer wraps an engine's views,
// transactions and iterators, and Pebble under the race detector is slow,
// so with -race only LZ4 and Zstd run over Pebble; without it every codec
// does.
func TestConformance(t *testing.T) {
	for _, eng := range []engine{memoryEngine, pebbleEngine} {
		for _, c := range codecs {
			if eng.durable && raceEnabled && c != compress.LZ4 && c != compress.Zstd {
				continue
			}
			t.Run(eng.name+"/"+c.String(), func(t *testing.T) {
				t.Parallel() // independent engines; the suite runs in order within each
				runConformance(t, eng, func(inner backend.Backend) backend.Backend {
					return compress.New(inner, c, compress.MinSize(5))
				})
			})
		}
	}
}

// runConformance runs the shared suite on wrap(engine), reopening the
// inner engine's files under a new layer for durable engines.
func runConformance(t *testing.T, eng engine, wrap func(backend.Backend) backend.Backend) {
	var mu sync.Mutex
	dirs := map[backend.Backend]string{}
	open := func(t *testing.T, dir string) backend.Backend {
		b := wrap(eng.open(t, dir))
		mu.Lock()
		dirs[b] = dir
		mu.Unlock()
		return b
	}
	var opts []conformance.Option
	if eng.durable {
		opts = append(opts, conformance.Reopen(func(t *testing.T, b backend.Backend) backend.Backend {
			require.NoError(t, b.Close())
			mu.Lock()
			dir := dirs[b]
			mu.Unlock()
			return open(t, dir)
		}))
	}
	conformance.Run(t, func(t *testing.T) backend.Backend { return open(t, t.TempDir()) }, opts...)
}

// testValues are what the round-trip tests store: realistic records that
// compress, short values that stay raw, incompressible bytes, and an empty
// value.
func testValues() map[string][]byte {
	vals := map[string][]byte{
		"empty": {},
		"short": []byte("tiny"),
		"noise": randomBytes(4096),
		"zeros": make([]byte, 1<<20),
	}
	for i, r := range records(200) {
		vals[fmt.Sprintf("user/%04d", i)] = r
	}
	return vals
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func putAll(t testing.TB, b backend.Backend, vals map[string][]byte) {
	t.Helper()
	require.NoError(t, b.Update(context.Background(), func(txn backend.Txn) error {
		for k, v := range vals {
			if err := txn.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// checkAll reads vals back through Backend.Get, View.Get, Txn.Get and a
// Range in each direction over a view and a transaction.
func checkAll(t *testing.T, b backend.Backend, vals map[string][]byte) {
	t.Helper()
	ctx := t.Context()
	for k, want := range vals {
		got, err := b.Get(ctx, []byte(k), nil)
		require.NoError(t, err, k)
		require.True(t, bytes.Equal(want, got), "Get %s: %d bytes, want %d", k, len(got), len(want))
	}
	checkReader := func(t *testing.T, r backend.Reader) {
		for k, want := range vals {
			got, err := r.Get([]byte(k), []byte("pre:"))
			require.NoError(t, err, k)
			require.Equal(t, "pre:", string(got[:4]))
			require.True(t, bytes.Equal(want, got[4:]), "reader Get %s", k)
		}
		for _, reverse := range []bool{false, true} {
			it := r.Range(nil, nil, reverse)
			n := 0
			var prev []byte
			for it.Next() {
				n++
				require.True(t, bytes.Equal(vals[string(it.Key())], it.Value()), "Range value of %q", it.Key())
				if prev != nil {
					// The previous entry's copy is intact after Next.
					require.NotEqual(t, string(prev), string(it.Key()))
				}
				prev = bytes.Clone(it.Key())
			}
			require.NoError(t, it.Close())
			require.Equal(t, len(vals), n, "entries in Range (reverse=%v)", reverse)
		}
	}
	v, err := b.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	checkReader(t, v)
	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		checkReader(t, txn)
		return nil
	}))
}

// TestSwitchCodec writes with every codec, and with none, and reads back
// with every codec over the same inner engine, as a store does after its
// codec is changed.
func TestSwitchCodec(t *testing.T) {
	vals := testValues()
	for _, w := range codecs {
		t.Run("written with "+w.String(), func(t *testing.T) {
			inner := memory.New()
			writer := compress.New(inner, w)
			putAll(t, writer, vals)
			for _, r := range codecs {
				t.Run("read with "+r.String(), func(t *testing.T) {
					// The writer layer is left open: closing it would close inner.
					checkAll(t, compress.New(inner, r), vals)
				})
			}
			require.NoError(t, writer.Close())
		})
	}
}

// TestSwitchCodecReopen writes with LZ4 over Pebble, reopens the files
// under a Zstd layer, reads back, adds Zstd values and reads both.
func TestSwitchCodecReopen(t *testing.T) {
	dir := t.TempDir()
	vals := testValues()
	b := compress.New(pebbleEngine.open(t, dir), compress.LZ4)
	putAll(t, b, vals)
	require.NoError(t, b.Close())

	b = compress.New(pebbleEngine.open(t, dir), compress.Zstd)
	defer b.Close()
	checkAll(t, b, vals)
	more := map[string][]byte{}
	for i, r := range records(50) {
		more[fmt.Sprintf("zstd/%04d", i)] = r
	}
	putAll(t, b, more)
	for k, v := range more {
		vals[k] = v
	}
	checkAll(t, b, vals)
}

// TestStoredFormat checks the header byte each value is stored with.
func TestStoredFormat(t *testing.T) {
	rec := records(1)[0]
	cases := []struct {
		name  string
		value []byte
		opts  []compress.Option
		raw   bool
	}{
		{"record", rec, nil, false},
		{"below MinSize", rec[:40], nil, true},
		{"below a raised MinSize", rec, []compress.Option{compress.MinSize(len(rec) + 1)}, true},
		{"incompressible", randomBytes(1000), nil, true},
		{"empty", nil, []compress.Option{compress.MinSize(0)}, true},
	}
	for _, c := range codecs {
		for _, tc := range cases {
			t.Run(c.String()+"/"+tc.name, func(t *testing.T) {
				inner := memory.New()
				b := compress.New(inner, c, tc.opts...)
				defer b.Close()
				require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
					return txn.Set([]byte("k"), tc.value)
				}))
				stored, err := inner.Get(t.Context(), []byte("k"), nil)
				require.NoError(t, err)
				if tc.raw || c == compress.None {
					assert.Equal(t, append([]byte{0}, tc.value...), stored)
				} else {
					assert.Equal(t, byte(c), stored[0])
					assert.Less(t, len(stored), len(tc.value))
				}
				st, err := b.Stats(t.Context())
				require.NoError(t, err)
				assert.Equal(t, int64(len(tc.value)), st.Figures["compress_raw_bytes"])
				assert.Equal(t, int64(len(stored)), st.Figures["compress_stored_bytes"])
			})
		}
	}
}

// TestRatio stores realistic records with each codec and checks the ratio
// each achieves on its own, value by value; rolled-back writes are not
// counted. The floors sit a little under what the fixed data gives (Zstd
// about 2.0, Snappy and S2 1.5, LZ4 1.46): records of a kilobyte hold few
// repeats for a block compressor to find, and Zstd's entropy coding is what
// takes such records well past 1.5.
func TestRatio(t *testing.T) {
	recs := records(500)
	floors := map[compress.Codec]float64{compress.LZ4: 1.4, compress.Snappy: 1.45, compress.S2: 1.45, compress.Zstd: 1.8}
	for _, c := range codecs {
		t.Run(c.String(), func(t *testing.T) {
			b := compress.New(memory.New(), c)
			defer b.Close()
			assert.Equal(t, 1.0, b.Ratio(), "before any write")
			require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
				for i, r := range recs {
					if err := txn.Set(fmt.Appendf(nil, "user/%04d", i), r); err != nil {
						return err
					}
				}
				return nil
			}))
			ratio := b.Ratio()
			_ = b.Update(t.Context(), func(txn backend.Txn) error {
				if err := txn.Set([]byte("rolled back"), recs[0]); err != nil {
					return err
				}
				return assert.AnError
			})
			assert.Equal(t, ratio, b.Ratio(), "a rolled-back write changed the ratio")
			t.Logf("%s: ratio %.3f", c, ratio)
			if c == compress.None {
				assert.Less(t, ratio, 1.0, "None only adds the header byte")
				return
			}
			assert.Greater(t, ratio, floors[c])
		})
	}
}

// TestGetDoesNotAllocate checks that Get decodes into the caller's buffer
// without allocating once the layer's read buffers are warm.
func TestGetDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
	rec := records(1)[0]
	for _, c := range []compress.Codec{compress.None, compress.LZ4, compress.Snappy, compress.S2, compress.Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			b := compress.New(memory.New(), c)
			defer b.Close()
			require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
				return txn.Set([]byte("k"), rec)
			}))
			ctx, key, buf := context.Background(), []byte("k"), make([]byte, 0, 2*len(rec))
			for range 3 { // warm the pool
				_, err := b.Get(ctx, key, buf[:0])
				require.NoError(t, err)
			}
			allocs := testing.AllocsPerRun(200, func() {
				if _, err := b.Get(ctx, key, buf[:0]); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs)
		})
	}
}

func TestPath(t *testing.T) {
	mem := compress.New(memory.New(), compress.Zstd)
	assert.Empty(t, mem.Path(), "memory has no path")
	require.NoError(t, mem.Close())

	dir := filepath.Join(t.TempDir(), "db")
	inner, err := pebble.Open(dir, pebble.NoSync())
	require.NoError(t, err)
	b := compress.New(inner, compress.Zstd)
	defer b.Close()
	var p backend.Pather = b
	assert.Equal(t, dir, p.Path())
}
