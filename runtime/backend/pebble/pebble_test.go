package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	pebbledb "github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/conformance"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func openTemp(t *testing.T, opts ...Option) *Backend {
	t.Helper()
	b, err := Open(filepath.Join(t.TempDir(), "db"), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func reopen(t *testing.T, b backend.Backend) backend.Backend {
	t.Helper()
	pb := b.(*Backend)
	require.NoError(t, pb.Close())
	again, err := Open(pb.dir)
	require.NoError(t, err)
	return again
}

func TestConformance(t *testing.T) {
	conformance.Run(t,
		func(t *testing.T) backend.Backend { return openTemp(t) },
		conformance.Reopen(reopen),
		conformance.NotADatabase(func(t *testing.T) error {
			path := filepath.Join(t.TempDir(), "notes.txt")
			require.NoError(t, os.WriteFile(path, []byte("not a database\n"), 0o600))
			_, err := Open(path)
			return err
		}),
	)
}

// TestConformanceNoSync runs the suite with relaxed commits and a block
// cache smaller than the data, so reads go through table files.
func TestConformanceNoSync(t *testing.T) {
	conformance.Run(t,
		func(t *testing.T) backend.Backend { return openTemp(t, NoSync(), CacheSize(1<<20)) },
		conformance.Reopen(reopen),
	)
}

func TestOptions(t *testing.T) {
	shared := pebbledb.NewCache(1 << 20)
	defer shared.Unref()
	cases := []struct {
		name      string
		opts      []Option
		wantSize  int64
		wantCache bool // the caller's shared cache is kept
		wantSync  bool
	}{
		{name: "defaults", wantSize: DefaultCacheSize, wantSync: true},
		{name: "NoSync", opts: []Option{NoSync()}, wantSize: DefaultCacheSize},
		{name: "CacheSize", opts: []Option{CacheSize(1 << 20)}, wantSize: 1 << 20, wantSync: true},
		{name: "Options with a size", opts: []Option{Options(&pebbledb.Options{CacheSize: 3 << 20})}, wantSize: 3 << 20, wantSync: true},
		{name: "Options with a cache", opts: []Option{Options(&pebbledb.Options{Cache: shared})}, wantCache: true, wantSync: true},
		{name: "CacheSize overrides Options", opts: []Option{Options(&pebbledb.Options{Cache: shared}), CacheSize(2 << 20)}, wantSize: 2 << 20, wantSync: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := openTemp(t, c.opts...)
			cfg := config{sync: true, cacheSize: DefaultCacheSize}
			for _, o := range c.opts {
				o(&cfg)
			}
			po := cfg.pebbleOptions()
			if c.wantCache {
				assert.Same(t, shared, po.Cache)
			} else {
				assert.Nil(t, po.Cache)
				assert.Equal(t, c.wantSize, po.CacheSize)
			}
			assert.IsType(t, quietLogger{}, po.Logger)
			assert.Equal(t, c.wantSync, b.commit.Sync)
			conformance.Put(t, b, "k", "v") // the options open a working database
		})
	}
}

func TestOptionsAreCopied(t *testing.T) {
	o := &pebbledb.Options{}
	openTemp(t, Options(o), NoSync())
	assert.Equal(t, &pebbledb.Options{}, o, "Open changed the caller's Options")
}

func TestWALDisabled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	b, err := Open(dir, Options(&pebbledb.Options{DisableWAL: true}))
	require.NoError(t, err)
	conformance.Put(t, b, "k", "v")
	require.NoError(t, b.Flush(t.Context()), "Flush must flush the memtable when there is no log to sync")
	require.NoError(t, b.Close())
	b, err = Open(dir)
	require.NoError(t, err)
	defer b.Close()
	v, err := b.Get(t.Context(), []byte("k"), nil)
	require.NoError(t, err)
	assert.Equal(t, "v", string(v))
}

// TestNotADatabase covers directories that are not Pebble's; the suite
// covers a file.
func TestNotADatabase(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"a directory of other files", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "photo.jpg"), []byte("\xff\xd8\xff"), 0o600))
		}},
		{"a damaged manifest marker", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "marker.manifest.000001.garbage"), nil, 0o600))
		}},
		{"a manifest of garbage", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "marker.manifest.000001.MANIFEST-000001"), nil, 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "MANIFEST-000001"), []byte("garbage, not a log of versions"), 0o600))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			var err error
			require.NotPanics(t, func() {
				var b *Backend
				if b, err = Open(dir); err == nil {
					b.Close()
				}
			})
			require.ErrorIs(t, err, backend.ErrCorrupt)
			assert.Contains(t, err.Error(), dir)
		})
	}
}

func TestOpenCreates(t *testing.T) {
	for name, dir := range map[string]string{
		"missing nested directory": filepath.Join(t.TempDir(), "a", "b"),
		"empty directory":          t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Open(dir)
			require.NoError(t, err)
			conformance.Put(t, b, "k", "v")
			require.NoError(t, b.Close())
		})
	}
}

// TestGetAllocatesNothingMore checks that Get through the interface into a
// buffer with room allocates no more than Pebble's own Get.
func TestGetAllocatesNothingMore(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "k", "a value")
	ctx, key, buf := context.Background(), []byte("k"), make([]byte, 0, 16)
	native := testing.AllocsPerRun(200, func() {
		v, closer, err := b.db.Get(key)
		require.NoError(t, err)
		buf = append(buf[:0], v...)
		require.NoError(t, closer.Close())
	})
	iface := testing.AllocsPerRun(200, func() {
		var err error
		buf, err = b.Get(ctx, key, buf[:0])
		require.NoError(t, err)
	})
	assert.Equal(t, native, iface)
}

// TestTxnReadsBeforeAndAfterWrites covers the transaction's switch from
// reading the database to reading an indexed batch.
func TestTxnReadsBeforeAndAfterWrites(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "a", "1")
	require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
		v, err := tx.Get([]byte("a"), nil)
		require.NoError(t, err)
		assert.Equal(t, "1", string(v))
		before := tx.Range(nil, nil, false)
		require.NoError(t, tx.Set([]byte("b"), []byte("2")))
		v, err = tx.Get([]byte("b"), nil)
		require.NoError(t, err)
		assert.Equal(t, "2", string(v))
		require.NoError(t, tx.Set([]byte("c"), []byte("3")))
		assert.Equal(t, []string{"a"}, conformance.Keys(t, before), "an iterator sees writes made after it opened")
		assert.Equal(t, []string{"a", "b", "c"}, conformance.Keys(t, tx.Range(nil, nil, false)))
		return nil
	}))
	assert.Equal(t, []string{"a", "b", "c"}, conformance.Keys(t, conformance.OpenView(t, b).Range(nil, nil, false)))
}

func TestTxnIteratorEndsWithUpdate(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "a", "1")
	var leaked backend.Iterator
	require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
		leaked = tx.Range(nil, nil, false)
		return nil
	}))
	assert.False(t, leaked.Next())
	assert.Nil(t, leaked.Key())
	assert.ErrorIs(t, leaked.Err(), backend.ErrTxDone)
	assert.ErrorIs(t, leaked.Close(), backend.ErrTxDone)
}

func TestUpdateWaitsForWriterWithContext(t *testing.T) {
	b := openTemp(t)
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- b.Update(context.Background(), func(backend.Txn) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := b.Update(ctx, func(backend.Txn) error { t.Error("fn ran without the writer slot"); return nil })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	require.NoError(t, <-done)
}

func TestStatsFigures(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "a", "1", "b", "2")
	require.NoError(t, b.db.Flush())
	_, err := b.Get(t.Context(), []byte("a"), nil)
	require.NoError(t, err)
	st, err := b.Stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "pebble", st.Engine)
	assert.Equal(t, int64(2), st.Keys)
	assert.False(t, st.KeysEstimated)
	assert.Positive(t, st.DiskBytes)
	for _, name := range []string{"block_cache_hits", "block_cache_misses", "memtable_bytes", "compactions", "flushes", "tables"} {
		assert.Contains(t, st.Figures, name)
	}
	assert.Positive(t, st.Figures["tables"], "the flush wrote a table")
	assert.Positive(t, st.Figures["block_cache_hits"]+st.Figures["block_cache_misses"], "the Get read a block")
}

func TestStatsCancelled(t *testing.T) {
	b := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.Stats(ctx)
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	b, err := Open(dir)
	require.NoError(t, err)
	defer b.Close()
	var p backend.Pather = b
	assert.Equal(t, dir, p.Path())
}

// TestCompact checks that Compact moves a load out of level 0 and the
// memtable and keeps every key, that an empty database is no error, and
// that an ended context and a closed database are.
func TestCompact(t *testing.T) {
	b := openTemp(t)
	require.NoError(t, b.Compact(t.Context()), "an empty database")

	value := bytes.Repeat([]byte("v"), 1024)
	const n = 6000 // more than a memtable holds, so the load flushes
	for batch := 0; batch < n; batch += 500 {
		require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
			for i := batch; i < batch+500; i++ {
				if err := tx.Set(fmt.Appendf(nil, "k%05d", i), value); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	require.NotZero(t, b.db.Metrics().Levels[0].TablesCount+int64(b.db.Metrics().MemTable.Count), "the load is in level 0 or the memtable")

	require.NoError(t, b.Compact(t.Context()))
	m := b.db.Metrics()
	assert.Zero(t, m.Levels[0].TablesCount, "level 0 after Compact")
	var tables int64
	for _, l := range m.Levels {
		tables += l.TablesCount
	}
	assert.NotZero(t, tables, "the keys are in tables")
	for _, i := range []int{0, 2999, n - 1} {
		got, err := b.Get(t.Context(), fmt.Appendf(nil, "k%05d", i), nil)
		require.NoError(t, err)
		assert.Equal(t, value, got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, b.Compact(ctx), context.Canceled)
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.Compact(t.Context()), backend.ErrClosed)
}
