package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	b, err := Open(filepath.Join(t.TempDir(), "kv.db"), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func reopen(t *testing.T, b backend.Backend) backend.Backend {
	t.Helper()
	sb := b.(*Backend)
	require.NoError(t, sb.Close())
	again, err := Open(sb.path)
	require.NoError(t, err)
	return again
}

func notADatabase(t *testing.T) error {
	path := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(path, []byte("not a database, but long enough to hold a header page\n"), 0o600))
	_, err := Open(path)
	return err
}

func TestConformance(t *testing.T) {
	conformance.Run(t,
		func(t *testing.T) backend.Backend { return openTemp(t) },
		conformance.Reopen(reopen),
		conformance.NotADatabase(notADatabase),
	)
}

// TestNoSync checks what NoSync changes: commits are not synced, and Flush
// syncs them. (The rest of the engine is the same with either setting, and
// the conformance suite under the race detector takes half a minute, so it
// runs once.) A process cannot observe whether a sync happened, so this
// checks that the setting took effect and that data flushed under it
// survives reopening.
func TestNoSync(t *testing.T) {
	b := openTemp(t, NoSync())
	var mode int
	require.NoError(t, b.write.QueryRowContext(t.Context(), `PRAGMA synchronous`).Scan(&mode))
	assert.Equal(t, 1, mode, "synchronous should be NORMAL")
	conformance.Put(t, b, "a", "1", "b", "")
	require.NoError(t, b.Flush(t.Context()))
	again := reopen(t, b)
	defer again.Close()
	got, err := again.Get(t.Context(), []byte("b"), nil)
	require.NoError(t, err)
	assert.Empty(t, got)

	full := openTemp(t)
	require.NoError(t, full.write.QueryRowContext(t.Context(), `PRAGMA synchronous`).Scan(&mode))
	assert.Equal(t, 2, mode, "synchronous should be FULL by default")
}

// TestForeignDatabase checks that an SQLite database of another application
// is refused rather than given a kv table, and left as it was.
func TestForeignDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)`)
	require.NoError(t, err)

	_, err = Open(path)
	require.ErrorIs(t, err, backend.ErrCorrupt)
	assert.Contains(t, err.Error(), path)
	var tables int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'kv'`).Scan(&tables))
	assert.Zero(t, tables, "Open added its table to a foreign database")
	require.NoError(t, db.Close())
}

// TestViewSnapshotTakenAtOpen checks that a view that has not read yet
// still sees the state of the moment View returned: WAL mode would
// otherwise fix the snapshot at the first read.
func TestViewSnapshotTakenAtOpen(t *testing.T) {
	for _, name := range []string{"empty", "not empty"} {
		t.Run(name, func(t *testing.T) {
			b := openTemp(t)
			if name == "not empty" {
				conformance.Put(t, b, "a", "1")
			}
			v, err := b.View(t.Context())
			require.NoError(t, err)
			defer v.Close()
			conformance.Put(t, b, "a", "changed", "b", "new")
			_, err = v.Get([]byte("b"), nil)
			assert.ErrorIs(t, err, backend.ErrNotFound)
			got, err := v.Get([]byte("a"), nil)
			if name == "empty" {
				assert.ErrorIs(t, err, backend.ErrNotFound)
			} else if assert.NoError(t, err) {
				assert.Equal(t, "1", string(got))
			}
		})
	}
}

// TestInterleavedIterators checks that several iterators of the same shape
// may be open at once on one view and one transaction, which share a
// connection, without disturbing each other.
func TestInterleavedIterators(t *testing.T) {
	b := openTemp(t)
	for i := range 50 {
		conformance.Put(t, b, fmt.Sprintf("k%02d", i), fmt.Sprintf("v%02d", i))
	}
	check := func(t *testing.T, r backend.Reader) {
		its := []backend.Iterator{r.Range(nil, nil, false), r.Range(nil, nil, false), r.Range(nil, nil, true)}
		for i := range 50 {
			for j, it := range its {
				require.True(t, it.Next(), "iterator %d, step %d", j, i)
				want := i
				if j == 2 {
					want = 49 - i
				}
				assert.Equal(t, fmt.Sprintf("k%02d", want), string(it.Key()))
				v, err := r.Get([]byte("k00"), nil)
				require.NoError(t, err)
				assert.Equal(t, "v00", string(v))
			}
		}
		for _, it := range its {
			assert.False(t, it.Next())
			assert.NoError(t, it.Close())
		}
	}
	v, err := b.View(t.Context())
	require.NoError(t, err)
	defer v.Close()
	t.Run("View", func(t *testing.T) { check(t, v) })
	t.Run("Txn", func(t *testing.T) {
		require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
			check(t, txn)
			return nil
		}))
	})
}

// TestUpdateCancelledInside checks that a context that ends while fn runs
// makes the transaction's statements and Update fail with the context's
// error, writes nothing, and leaves the engine usable.
func TestUpdateCancelledInside(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "a", "1")
	ctx, cancel := context.WithCancel(t.Context())
	err := b.Update(ctx, func(txn backend.Txn) error {
		if err := txn.Set([]byte("a"), []byte("2")); err != nil {
			return err
		}
		cancel()
		return txn.Set([]byte("b"), []byte("3"))
	})
	require.ErrorIs(t, err, context.Canceled)
	got, err := b.Get(t.Context(), []byte("a"), nil)
	require.NoError(t, err)
	assert.Equal(t, "1", string(got))
	conformance.Put(t, b, "c", "4")
	_, err = b.Get(t.Context(), []byte("b"), nil)
	assert.ErrorIs(t, err, backend.ErrNotFound)
}

// TestFlushWithOpenView checks that Flush does not wait for views open on
// an older snapshot (a FULL checkpoint would wait out the busy timeout),
// and that what it made durable survives reopening.
func TestFlushWithOpenView(t *testing.T) {
	b := openTemp(t, NoSync(), BusyTimeout(30*time.Second))
	conformance.Put(t, b, "a", "1")
	v, err := b.View(t.Context())
	require.NoError(t, err)
	defer v.Close()
	conformance.Put(t, b, "b", "2")

	done := make(chan error, 1)
	go func() { done <- b.Flush(t.Context()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		require.FailNow(t, "Flush waited for an open view")
	}
	st, err := b.Stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Figures["views"])
	assert.Positive(t, st.Figures["wal_bytes"])
}

// TestAwkwardPath checks that characters meaningful in a URI are taken as
// part of the file name.
func TestAwkwardPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b=1#c%20d.db")
	b, err := Open(path)
	require.NoError(t, err)
	conformance.Put(t, b, "k", "v")
	require.NoError(t, b.Close())
	_, err = os.Stat(path)
	require.NoError(t, err, "the database is not at the path given")
	again, err := Open(path)
	require.NoError(t, err)
	defer again.Close()
	got, err := again.Get(t.Context(), []byte("k"), nil)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
}

func TestPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kv.db")
	b, err := Open(path)
	require.NoError(t, err)
	defer b.Close()
	var p backend.Pather = b
	assert.Equal(t, path, p.Path())
}
