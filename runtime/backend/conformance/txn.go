package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// testTxnReadsOwnWrites checks that a transaction's Get and Range see its
// own sets, overwrites and deletes merged with committed data, in both
// directions, and that the merged state is what commits.
func (s *suite) testTxnReadsOwnWrites(t *testing.T) {
	b := s.fresh(t)
	put(t, b, entry{"a", "1"}, entry{"b", "2"}, entry{"c", "3"}, entry{"d", "4"})
	want := []entry{{"a", "10"}, {"b", "20"}, {"bb", "new"}, {"d", "4"}, {"e", "5"}}

	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		err := firstErr(
			txn.Set([]byte("b"), []byte("20")),
			txn.Set([]byte("bb"), []byte("new")),
			txn.Delete([]byte("c")),
			txn.Set([]byte("e"), []byte("5")),
			txn.Set([]byte("x"), []byte("short-lived")),
			txn.Delete([]byte("x")),
			txn.Delete([]byte("never-existed")),
			txn.Delete([]byte("a")),
			txn.Set([]byte("a"), []byte("10")),
		)
		if !assert.NoError(t, err) {
			return err
		}
		for _, e := range want {
			v, err := txn.Get([]byte(e.key), nil)
			if assert.NoError(t, err, "key %q", e.key) {
				assert.Equal(t, e.value, string(v), "key %q", e.key)
			}
		}
		for _, k := range []string{"c", "x", "never-existed"} {
			_, err := txn.Get([]byte(k), nil)
			assert.ErrorIs(t, err, backend.ErrNotFound, "key %q", k)
		}
		assertEntries(t, want, drain(t, txn.Range(nil, nil, false)), "forward")
		assertEntries(t, reversed(want), drain(t, txn.Range(nil, nil, true)), "reverse")
		assertEntries(t, want[1:3], drain(t, txn.Range([]byte("b"), []byte("c"), false)), "[b, c) forward")
		assertEntries(t, reversed(want[1:4]), drain(t, txn.Range([]byte("b"), []byte("e"), true)), "[b, e) reverse")
		return nil
	}))
	assertEntries(t, want, contents(t, b), "after commit")
}

// testSnapshotIsolation checks that a view sees exactly what had committed
// when it was opened, through Get, Range and an iterator opened before a
// later commit, while a new view and Backend.Get see the commit.
func (s *suite) testSnapshotIsolation(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	before := []entry{{"a", "1"}, {"b", "2"}}
	after := []entry{{"a", "10"}, {"c", "3"}}
	put(t, b, before...)

	old, err := b.View(ctx)
	require.NoError(t, err)
	defer old.Close()
	oldIter := old.Range(nil, nil, false)

	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		return firstErr(
			txn.Set([]byte("a"), []byte("10")),
			txn.Delete([]byte("b")),
			txn.Set([]byte("c"), []byte("3")),
		)
	}))

	assertEntries(t, before, drain(t, oldIter), "iterator opened before the commit")
	assertEntries(t, before, drain(t, old.Range(nil, nil, false)), "old view, Range")
	assertEntries(t, reversed(before), drain(t, old.Range(nil, nil, true)), "old view, reverse Range")
	for _, e := range before {
		v, err := old.Get([]byte(e.key), nil)
		if assert.NoError(t, err, "old view, key %q", e.key) {
			assert.Equal(t, e.value, string(v), "old view, key %q", e.key)
		}
	}
	_, err = old.Get([]byte("c"), nil)
	assert.ErrorIs(t, err, backend.ErrNotFound, "old view sees a later insert")

	assertEntries(t, after, contents(t, b), "new view")
	v, err := b.Get(ctx, []byte("a"), nil)
	require.NoError(t, err)
	assert.Equal(t, "10", string(v), "Backend.Get")
	_, err = b.Get(ctx, []byte("b"), nil)
	assert.ErrorIs(t, err, backend.ErrNotFound, "Backend.Get of a deleted key")
}

// testRollback checks that a transaction ending in an error or a panic
// keeps none of its writes, reports the error or re-raises the panic, and
// leaves the engine ready for the next transaction.
func (s *suite) testRollback(t *testing.T) {
	initial := []entry{{"a", "1"}, {"b", "2"}}
	write := func(txn backend.Txn) error {
		return firstErr(
			txn.Set([]byte("a"), []byte("changed")),
			txn.Delete([]byte("b")),
			txn.Set([]byte("c"), []byte("new")),
		)
	}
	cases := []struct {
		name string
		end  func(txn backend.Txn) error // called after write
		run  func(t *testing.T, update func() error)
	}{
		{
			name: "error",
			end:  func(backend.Txn) error { return errRollback },
			run: func(t *testing.T, update func() error) {
				assert.ErrorIs(t, update(), errRollback)
			},
		},
		{
			name: "panic",
			end:  func(backend.Txn) error { panic("conformance: boom") },
			run: func(t *testing.T, update func() error) {
				assert.PanicsWithValue(t, "conformance: boom", func() { _ = update() })
			},
		},
		{
			name: "error from the engine",
			end:  func(txn backend.Txn) error { return txn.Set(nil, []byte("x")) },
			run: func(t *testing.T, update func() error) {
				assert.ErrorIs(t, update(), backend.ErrKeyEmpty)
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := s.fresh(t)
			put(t, b, initial...)
			c.run(t, func() error {
				return b.Update(t.Context(), func(txn backend.Txn) error {
					if err := write(txn); err != nil {
						return err
					}
					return c.end(txn)
				})
			})
			assertEntries(t, initial, contents(t, b), "rolled-back writes are visible")
			put(t, b, entry{"d", "4"})
			assertEntries(t, append(initial, entry{"d", "4"}), contents(t, b), "the engine is unusable after a rollback")
		})
	}
}

// testEmptyKey checks that Set and Delete refuse a zero-length key.
func (s *suite) testEmptyKey(t *testing.T) {
	cases := []struct {
		name string
		op   func(txn backend.Txn) error
	}{
		{"Set nil", func(txn backend.Txn) error { return txn.Set(nil, []byte("v")) }},
		{"Set empty", func(txn backend.Txn) error { return txn.Set([]byte{}, []byte("v")) }},
		{"Set empty with nil value", func(txn backend.Txn) error { return txn.Set([]byte{}, nil) }},
		{"Delete nil", func(txn backend.Txn) error { return txn.Delete(nil) }},
		{"Delete empty", func(txn backend.Txn) error { return txn.Delete([]byte{}) }},
	}
	b := s.fresh(t)
	for _, c := range cases {
		var opErr error
		err := b.Update(t.Context(), func(txn backend.Txn) error {
			opErr = c.op(txn)
			return opErr
		})
		assert.ErrorIs(t, opErr, backend.ErrKeyEmpty, c.name)
		assert.ErrorIs(t, err, backend.ErrKeyEmpty, "%s: Update", c.name)
	}
	assertEntries(t, nil, contents(t, b))
}

// testTxnDone checks that a transaction used after Update returned, by
// committing or by rolling back, reports ErrTxDone and writes nothing.
// Layers rely on it: the cache layer reuses what it records of a
// transaction once its Update is over.
func (s *suite) testTxnDone(t *testing.T) {
	b := s.fresh(t)
	put(t, b, entry{"a", "1"})
	var leaked backend.Txn
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		leaked = txn
		return nil
	}))
	checkDone(t, leaked)
	errRollback := errors.New("roll back")
	require.ErrorIs(t, b.Update(t.Context(), func(txn backend.Txn) error {
		leaked = txn
		return errRollback
	}), errRollback)
	checkDone(t, leaked)
	assertEntries(t, []entry{{"a", "1"}}, contents(t, b))
}

// checkDone checks that every call of a finished transaction reports
// ErrTxDone.
func checkDone(t *testing.T, leaked backend.Txn) {
	t.Helper()
	require.NotPanics(t, func() {
		_, err := leaked.Get([]byte("a"), nil)
		assert.ErrorIs(t, err, backend.ErrTxDone, "Get")
		assert.ErrorIs(t, leaked.Set([]byte("b"), []byte("2")), backend.ErrTxDone, "Set")
		assert.ErrorIs(t, leaked.Delete([]byte("a")), backend.ErrTxDone, "Delete")
		it := leaked.Range(nil, nil, false)
		assert.False(t, it.Next(), "Range.Next")
		assert.ErrorIs(t, it.Err(), backend.ErrTxDone, "Range.Err")
		assert.ErrorIs(t, it.Close(), backend.ErrTxDone, "Range.Close")
	})
}

// testViewClosed checks that a closed view and the iterators it opened
// report ErrTxDone, and that closing is idempotent.
func (s *suite) testViewClosed(t *testing.T) {
	b := s.fresh(t)
	put(t, b, entry{"a", "1"}, entry{"b", "2"})
	v, err := b.View(t.Context())
	require.NoError(t, err)
	open := v.Range(nil, nil, false)
	require.True(t, open.Next())

	require.NoError(t, v.Close())
	assert.NoError(t, v.Close(), "second Close")
	require.NotPanics(t, func() {
		_, err := v.Get([]byte("a"), nil)
		assert.ErrorIs(t, err, backend.ErrTxDone, "Get")
		it := v.Range(nil, nil, false)
		assert.False(t, it.Next(), "Range after Close")
		assert.ErrorIs(t, it.Err(), backend.ErrTxDone, "Range after Close")
		assert.ErrorIs(t, it.Close(), backend.ErrTxDone)
		assert.False(t, open.Next(), "iterator opened before Close")
		assert.ErrorIs(t, open.Err(), backend.ErrTxDone, "iterator opened before Close")
		assert.ErrorIs(t, open.Close(), backend.ErrTxDone)
		assert.ErrorIs(t, open.Close(), backend.ErrTxDone, "iterator Close is idempotent")
	})
}

// testTxnIteratorWrites pins down what an iterator opened in a transaction
// sees: every write the transaction made before Range, in both directions.
// Writes made while it is open may or may not show, but the iterator keeps
// going in order without error or repeats, and the transaction commits all
// of them.
func (s *suite) testTxnIteratorWrites(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			b := s.fresh(t)
			put(t, b, entry{"b", "1"}, entry{"d", "1"}, entry{"f", "1"})
			require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
				require.NoError(t, firstErr(txn.Set([]byte("c"), []byte("2")), txn.Delete([]byte("d"))))
				want := []entry{{"b", "1"}, {"c", "2"}, {"f", "1"}}
				if reverse {
					want = reversed(want)
				}
				assertEntries(t, want, drain(t, txn.Range(nil, nil, reverse)), "writes before Range")

				it := txn.Range(nil, nil, reverse)
				var seen [][]byte
				for it.Next() {
					seen = append(seen, bytes.Clone(it.Key()))
					require.Less(t, len(seen), 10, "the iterator does not end: %q", seen)
					// Write at, before and after the iterator's position
					// while it is open.
					require.NoError(t, firstErr(
						txn.Set(seen[len(seen)-1], []byte("over")),
						txn.Set([]byte("a"), []byte("new")),
						txn.Set([]byte("z"), []byte("new")),
						txn.Delete([]byte("c")),
					))
				}
				require.NoError(t, it.Close())
				require.GreaterOrEqual(t, len(seen), 2, "keys seen: %q", seen)
				for i := 1; i < len(seen); i++ {
					cmp := bytes.Compare(seen[i-1], seen[i])
					if reverse {
						cmp = -cmp
					}
					assert.Negative(t, cmp, "keys out of order or repeated: %q", seen)
				}
				return nil
			}))
			got := contents(t, b)
			assert.Contains(t, got, entry{"a", "new"})
			assert.Contains(t, got, entry{"z", "new"})
			assert.NotContains(t, got, entry{"c", "2"})
		})
	}
}
