package bbolt

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/conformance"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func openTemp(t *testing.T, opts ...Option) *Backend {
	t.Helper()
	b, err := Open(filepath.Join(t.TempDir(), "db.bolt"), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func reopen(t *testing.T, b backend.Backend) backend.Backend {
	t.Helper()
	bb := b.(*Backend)
	require.NoError(t, bb.Close())
	again, err := Open(bb.path, Bucket(string(bb.bucket)))
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

func TestConformanceNoSync(t *testing.T) {
	conformance.Run(t,
		func(t *testing.T) backend.Backend { return openTemp(t, NoSync(), Bucket("other")) },
		conformance.Reopen(reopen),
	)
}

// TestEmptyAndMissing covers the case bbolt itself blurs and the suite
// does not reach: in the transaction that wrote it, an empty value reads
// back from bbolt as nil, like a missing key.
func TestEmptyAndMissing(t *testing.T) {
	b := openTemp(t)
	require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
		require.NoError(t, tx.Set([]byte("empty"), []byte{}))
		require.NoError(t, tx.Set([]byte("nil"), nil))
		require.NoError(t, tx.Set([]byte("full"), []byte("x")))
		for _, k := range []string{"empty", "nil"} {
			v, err := tx.Get([]byte(k), nil)
			if assert.NoError(t, err, k) {
				assert.NotNil(t, v, "%s: a present empty value comes back non-nil", k)
				assert.Empty(t, v, k)
			}
		}
		_, err := tx.Get([]byte("missing"), nil)
		assert.ErrorIs(t, err, backend.ErrNotFound)
		assert.Equal(t, []string{"empty", "full", "nil"}, conformance.Keys(t, tx.Range(nil, nil, false)))
		return nil
	}))
}

func TestOptions(t *testing.T) {
	t.Run("sync by default", func(t *testing.T) {
		assert.False(t, openTemp(t).db.NoSync)
	})
	t.Run("NoSync", func(t *testing.T) {
		assert.True(t, openTemp(t, NoSync()).db.NoSync)
	})
	t.Run("Timeout", func(t *testing.T) {
		b := openTemp(t)
		start := time.Now()
		_, err := Open(b.path, Timeout(50*time.Millisecond))
		require.Error(t, err, "a second Open of a held file")
		assert.Contains(t, err.Error(), "locked")
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("Bucket", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "shared.bolt")
		a, err := Open(path, Bucket("a"))
		require.NoError(t, err)
		conformance.Put(t, a, "k", "in a")
		require.NoError(t, a.Close())

		other, err := Open(path, Bucket("b"))
		require.NoError(t, err)
		assert.Empty(t, conformance.Keys(t, conformance.OpenView(t, other).Range(nil, nil, false)), "bucket b sees bucket a")
		require.NoError(t, other.Close())

		a, err = Open(path, Bucket("a"))
		require.NoError(t, err)
		defer a.Close()
		v, err := a.Get(t.Context(), []byte("k"), nil)
		require.NoError(t, err)
		assert.Equal(t, "in a", string(v))
	})
	t.Run("empty bucket name", func(t *testing.T) {
		_, err := Open(filepath.Join(t.TempDir(), "db"), Bucket(""))
		assert.Error(t, err)
	})
	t.Run("MmapSize", func(t *testing.T) {
		b := openTemp(t, MmapSize(1<<20))
		entries := make([]string, 0, 2*2000)
		for i := range 2000 {
			entries = append(entries, fmt.Sprintf("key/%04d", i), string(make([]byte, 1000)))
		}
		conformance.Put(t, b, entries...) // grows the file past the mapping
		st, err := b.Stats(t.Context())
		require.NoError(t, err)
		assert.Equal(t, int64(2000), st.Keys)
	})
}

// TestNotADatabase covers damaged pages, after which Open must have let go
// of the file, and a directory; the suite covers a text file.
func TestNotADatabase(t *testing.T) {
	t.Run("random pages", func(t *testing.T) {
		random := make([]byte, 3*4096)
		_, _ = rand.Read(random)
		path := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(path, random, 0o600))
		var err error
		require.NotPanics(t, func() {
			var b *Backend
			if b, err = Open(path, Timeout(time.Second)); err == nil {
				b.Close()
			}
		})
		require.ErrorIs(t, err, backend.ErrCorrupt)
		assert.Contains(t, err.Error(), path)

		// The failed Open let go of the file: it can be opened again.
		require.NoError(t, os.WriteFile(path, nil, 0o600))
		b, err := Open(path, Timeout(time.Second))
		require.NoError(t, err, "an empty file becomes a new database")
		require.NoError(t, b.Close())
	})
	t.Run("damaged pages after valid meta pages", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "db")
		b, err := Open(path)
		require.NoError(t, err)
		conformance.Put(t, b, "k", "v")
		require.NoError(t, b.Close())
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		page := os.Getpagesize()
		for i := 2 * page; i < 8*page; i++ {
			data[i] = 0xAB
		}
		require.NoError(t, os.WriteFile(path, data, 0o600))
		require.NotPanics(t, func() { _, err = Open(path, Timeout(time.Second)) })
		require.ErrorIs(t, err, backend.ErrCorrupt)
		assert.Contains(t, err.Error(), path)
	})
	t.Run("a directory", func(t *testing.T) {
		_, err := Open(t.TempDir())
		require.Error(t, err)
	})
}

func TestGetAllocatesNothingMore(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "k", "a value")
	ctx, key, buf := context.Background(), []byte("k"), make([]byte, 0, 16)
	native := testing.AllocsPerRun(200, func() {
		require.NoError(t, b.db.View(func(tx *bolt.Tx) error {
			buf = append(buf[:0], tx.Bucket(b.bucket).Get(key)...)
			return nil
		}))
	})
	iface := testing.AllocsPerRun(200, func() {
		var err error
		buf, err = b.Get(ctx, key, buf[:0])
		require.NoError(t, err)
	})
	assert.Equal(t, native, iface)
}

// TestWritesWhileIterating checks that a transaction's iterator, which
// reads ahead, follows writes made while it is open: it returns the next
// key after the current one as the data stands at each step. A model (a
// sorted set walked the same way) says what that is.
func TestWritesWhileIterating(t *testing.T) {
	const n = 1000 // several batches and leaves
	key := func(i int) string { return fmt.Sprintf("k/%04d", i) }
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			b := openTemp(t)
			model := map[int]bool{}
			entries := make([]string, 0, 2*n)
			for i := range n {
				model[2*i] = true
				entries = append(entries, key(2*i), "v")
			}
			conformance.Put(t, b, entries...)
			// step applies the writes made at key i, to the model and to tx:
			// delete i; at every tenth key also insert the key just ahead
			// and delete the one after it.
			step := func(tx backend.Txn, i int) {
				delete(model, i)
				require.NoError(t, tx.Delete([]byte(key(i))))
				if i%20 != 0 {
					return
				}
				ahead, gone := i+1, i+2
				if reverse {
					ahead, gone = i-1, i-2
				}
				if ahead >= 0 {
					model[ahead] = true
					require.NoError(t, tx.Set([]byte(key(ahead)), []byte("new")))
				}
				delete(model, gone)
				require.NoError(t, tx.Delete([]byte(key(gone))))
			}
			require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
				var got, want []string
				it := tx.Range(nil, nil, reverse)
				for it.Next() {
					k := string(it.Key())
					got = append(got, k)
					var i int
					_, err := fmt.Sscanf(k, "k/%04d", &i)
					require.NoError(t, err)
					step(tx, i)
				}
				require.NoError(t, it.Close())

				// Replay on the model alone: from the start, take the next
				// key in the iteration's direction.
				for k := range model {
					delete(model, k)
				}
				for i := range n {
					model[2*i] = true
				}
				last := -1
				if reverse {
					last = 2 * n
				}
				for {
					next, found := -1, false
					for k := range model {
						if (!reverse && k > last || reverse && k < last) &&
							(!found || !reverse && k < next || reverse && k > next) {
							next, found = k, true
						}
					}
					if !found {
						break
					}
					want = append(want, key(next))
					last = next
					delete(model, next)
					if next%20 == 0 {
						ahead, gone := next+1, next+2
						if reverse {
							ahead, gone = next-1, next-2
						}
						if ahead >= 0 {
							model[ahead] = true
						}
						delete(model, gone)
					}
				}
				assert.Equal(t, want, got)
				assert.Empty(t, conformance.Keys(t, tx.Range(nil, nil, false)), "every key met was deleted")
				return nil
			}))
		})
	}
}

func TestStatsFigures(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "a", "1", "b", "2")
	st, err := b.Stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "bbolt", st.Engine)
	assert.Equal(t, int64(2), st.Keys)
	assert.False(t, st.KeysEstimated)
	info, err := os.Stat(b.path)
	require.NoError(t, err)
	assert.Equal(t, info.Size(), st.Figures["file_bytes"])
	assert.Positive(t, st.DiskBytes)
	assert.LessOrEqual(t, st.DiskBytes, info.Size()+int64(os.Getpagesize()))
	for _, name := range []string{"data_bytes", "leaf_pages", "free_pages", "read_txs", "page_writes"} {
		assert.Contains(t, st.Figures, name)
	}
	assert.Positive(t, st.Figures["page_writes"])
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

// TestReverseOverEmptyLeaves deletes whole leaves in a transaction and
// iterates backwards over the gap, and over a bucket emptied entirely,
// where bbolt's own Prev stops early and its Last never returns.
func TestReverseOverEmptyLeaves(t *testing.T) {
	b := openTemp(t)
	entries := make([]string, 0, 2*1000)
	for i := range 1000 {
		entries = append(entries, fmt.Sprintf("k/%04d", i), "v")
	}
	conformance.Put(t, b, entries...) // several leaves
	var want []string
	for i := 999; i >= 0; i-- {
		if i < 300 || i >= 700 {
			want = append(want, fmt.Sprintf("k/%04d", i))
		}
	}
	require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
		for i := 300; i < 700; i++ {
			require.NoError(t, tx.Delete(fmt.Appendf(nil, "k/%04d", i)))
		}
		assert.Equal(t, want, conformance.Keys(t, tx.Range(nil, nil, true)), "reverse over the gap")
		assert.Equal(t, want[300:], conformance.Keys(t, tx.Range(nil, []byte("k/0500"), true)), "reverse from inside the gap")
		return nil
	}))
	require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
		for i := range 1000 {
			require.NoError(t, tx.Delete(fmt.Appendf(nil, "k/%04d", i)))
		}
		assert.Empty(t, conformance.Keys(t, tx.Range(nil, nil, true)), "reverse over an emptied bucket")
		assert.Empty(t, conformance.Keys(t, tx.Range(nil, []byte("k/0500"), true)))
		return nil
	}))
}

func TestPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.bolt")
	b, err := Open(path)
	require.NoError(t, err)
	defer b.Close()
	var p backend.Pather = b
	assert.Equal(t, path, p.Path())
}
