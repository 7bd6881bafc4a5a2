package conformance

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// testContext checks that Get, View and Update refuse a context that has
// already ended, with an error matching the context's, and that such an
// Update writes nothing; nor does one whose context ends while fn runs.
func (s *suite) testContext(t *testing.T) {
	past, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	cases := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled(t), context.Canceled},
		{"deadline passed", past, context.DeadlineExceeded},
	}
	b := s.fresh(t)
	put(t, b, entry{"k", "v"})
	for _, c := range cases {
		_, err := b.Get(c.ctx, []byte("k"), nil)
		assert.ErrorIs(t, err, c.want, "%s: Get", c.name)

		v, err := b.View(c.ctx)
		assert.ErrorIs(t, err, c.want, "%s: View", c.name)
		if v != nil {
			v.Close()
		}

		err = b.Update(c.ctx, func(txn backend.Txn) error {
			return txn.Set([]byte("written"), []byte("x"))
		})
		assert.ErrorIs(t, err, c.want, "%s: Update", c.name)
	}
	assertEntries(t, []entry{{"k", "v"}}, contents(t, b), "an Update with an ended context wrote")

	ctx, cancel := context.WithCancel(t.Context())
	err := b.Update(ctx, func(txn backend.Txn) error {
		cancel()
		return txn.Set([]byte("written"), []byte("x"))
	})
	assert.ErrorIs(t, err, context.Canceled, "an Update whose context ends while fn runs")
	assertEntries(t, []entry{{"k", "v"}}, contents(t, b), "an Update whose context ended while fn ran committed")
}

// testClosed checks that every method of a closed engine, and of a view
// and an iterator opened before Close, returns ErrClosed without panicking,
// and that a second Close returns ErrClosed.
func (s *suite) testClosed(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	put(t, b, entry{"a", "1"}, entry{"b", "2"})
	v, err := b.View(ctx)
	require.NoError(t, err)
	it := v.Range(nil, nil, false)
	require.True(t, it.Next())

	require.NoError(t, b.Close())

	fnCalled := false
	calls := []struct {
		name string
		call func() error
	}{
		{"Close again", b.Close},
		{"Get", func() error { _, err := b.Get(ctx, []byte("a"), nil); return err }},
		{"View", func() error {
			v, err := b.View(ctx)
			if v != nil {
				v.Close()
			}
			return err
		}},
		{"Update", func() error {
			return b.Update(ctx, func(backend.Txn) error { fnCalled = true; return nil })
		}},
		{"Flush", func() error { return b.Flush(ctx) }},
		{"Stats", func() error { _, err := b.Stats(ctx); return err }},
		{"Backup", func() error { return backend.Backup(ctx, b, io.Discard) }},
		{"open view's Get", func() error { _, err := v.Get([]byte("a"), nil); return err }},
		{"open view's Range", func() error {
			it := v.Range(nil, nil, false)
			if it.Next() {
				return fmt.Errorf("Next returned an entry")
			}
			return it.Close()
		}},
		{"open iterator", func() error {
			if it.Next() {
				return fmt.Errorf("Next returned an entry")
			}
			return it.Err()
		}},
	}
	for _, c := range calls {
		assert.NotPanics(t, func() {
			assert.ErrorIs(t, c.call(), backend.ErrClosed, c.name)
		}, c.name)
	}
	assert.False(t, fnCalled, "Update called fn on a closed engine")
	assert.NotPanics(t, func() {
		it.Close()
		v.Close()
	}, "closing a view and iterator after their engine")
}

// testCloseWaits checks that Close waits for a running Update to finish,
// and that the Update still commits.
func (s *suite) testCloseWaits(t *testing.T) {
	b := s.fresh(t)
	entered, release := make(chan struct{}), make(chan struct{})
	signal, unblock := sync.OnceFunc(func() { close(entered) }), sync.OnceFunc(func() { close(release) })
	defer unblock()
	var finished atomic.Bool
	updated := make(chan error, 1)
	go func() {
		updated <- b.Update(t.Context(), func(txn backend.Txn) error {
			signal()
			<-release
			err := txn.Set([]byte("k"), []byte("v"))
			finished.Store(true)
			return err
		})
	}()
	select {
	case <-entered:
	case err := <-updated:
		require.Failf(t, "Update did not run fn", "Update returned %v", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	select {
	case err := <-closed:
		require.Failf(t, "Close did not wait", "Close returned %v while an Update was running", err)
	case <-time.After(20 * time.Millisecond):
		// Close should still be waiting; a correct engine always is.
	}
	unblock()
	require.NoError(t, <-closed)
	assert.True(t, finished.Load(), "Close returned before the running Update finished")
	assert.NoError(t, <-updated)
}

// testStats checks the key count, allowing engines that estimate a
// tolerance, and that an engine holding data reports some size.
func (s *suite) testStats(t *testing.T) {
	const n = 1000
	ctx := t.Context()
	b := s.fresh(t)
	st, err := b.Stats(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, st.Engine, "Stats.Engine")
	assertKeys(t, 0, st)

	data := make([]entry, n)
	for i := range data {
		data[i] = entry{fmt.Sprintf("key/%04d", i), fmt.Sprintf("value/%04d", i)}
	}
	put(t, b, data...)
	require.NoError(t, b.Flush(ctx))
	st, err = b.Stats(ctx)
	require.NoError(t, err)
	assertKeys(t, n, st)
	assert.GreaterOrEqual(t, st.DiskBytes, int64(0))
	assert.GreaterOrEqual(t, st.MemoryBytes, int64(0))
	assert.Positive(t, st.DiskBytes+st.MemoryBytes, "an engine holding data reports no size")

	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		for i := 0; i < n; i += 2 {
			if err := txn.Delete([]byte(data[i].key)); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, b.Flush(ctx))
	st, err = b.Stats(ctx)
	require.NoError(t, err)
	if !st.KeysEstimated { // estimates may count deleted keys until compaction
		assert.Equal(t, int64(n/2), st.Keys, "Stats.Keys after deletes")
	}
}

// assertKeys checks Stats.Keys: exact, or within a factor of two when the
// engine says it estimates.
func assertKeys(t *testing.T, want int, st backend.Stats) {
	t.Helper()
	if !st.KeysEstimated {
		assert.Equal(t, int64(want), st.Keys, "Stats.Keys")
		return
	}
	assert.GreaterOrEqual(t, st.Keys, int64(want/2), "Stats.Keys (estimated)")
	assert.LessOrEqual(t, st.Keys, int64(2*want), "Stats.Keys (estimated)")
}

// testReopen checks that committed data survives Close and reopening, with
// and without an explicit Flush, including empty values and binary keys,
// and that writes after a reopen survive the next one.
func (s *suite) testReopen(t *testing.T) {
	if s.cfg.reopen == nil {
		t.Skip("no Reopen option: the engine is not durable")
	}
	data := []entry{{"\x00", "zero"}, {"\xff\xff", "high"}, {"empty", ""}, {"large", string(randomBytes(4, 256<<10))}}
	for i := range 2000 {
		data = append(data, entry{fmt.Sprintf("key/%04d", i), fmt.Sprintf("value/%04d", i)})
	}
	sortEntries(data)
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprintf("flush=%v", flush), func(t *testing.T) {
			ctx := t.Context()
			b := s.fresh(t)
			put(t, b, data...)
			if flush {
				require.NoError(t, b.Flush(ctx))
			}
			b2 := s.cfg.reopen(t, b)
			require.NotNil(t, b2)
			closeAtEnd(t, b2)
			_, err := b.Get(ctx, []byte("empty"), nil)
			assert.ErrorIs(t, err, backend.ErrClosed, "Reopen must close the old engine")
			assertEntries(t, data, contents(t, b2), "after reopening")
			v, err := b2.Get(ctx, []byte("empty"), nil)
			require.NoError(t, err, "an empty value must survive as present")
			assert.Empty(t, v)

			put(t, b2, entry{"after", "reopen"})
			b3 := s.cfg.reopen(t, b2)
			require.NotNil(t, b3)
			closeAtEnd(t, b3)
			want := append([]entry{{"after", "reopen"}}, data...)
			sortEntries(want)
			assertEntries(t, want, contents(t, b3), "after the second reopen")
			st, err := b3.Stats(ctx)
			require.NoError(t, err)
			assertKeys(t, len(want), st)
		})
	}
}

// testNotADatabase checks that opening something that is not a database
// fails cleanly with an error that says what is wrong.
func (s *suite) testNotADatabase(t *testing.T) {
	if s.cfg.notADatabase == nil {
		t.Skip("no NotADatabase option: the engine opens no files")
	}
	var err error
	require.NotPanics(t, func() { err = s.cfg.notADatabase(t) })
	require.Error(t, err)
	assert.ErrorIs(t, err, backend.ErrCorrupt)
	assert.Greater(t, len(err.Error()), len(backend.ErrCorrupt.Error()),
		"the error should say more than the sentinel, such as the path: %q", err)
}
