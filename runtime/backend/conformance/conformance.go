// Package conformance is the one test suite every backend.Backend engine
// must pass: ordering of binary keys, range bounds, transactions that read
// their own writes and roll back cleanly, snapshot isolation, concurrency,
// size, cancellation, closing, statistics, backup and restore, and, for
// durable engines, reopening. Engines call Run from their own tests; the
// suite knows no engine and holds no engine-specific branches.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// Option adds an engine capability to the suite.
type Option func(*config)

type config struct {
	reopen       func(t *testing.T, b backend.Backend) backend.Backend
	notADatabase func(t *testing.T) error
}

// Reopen declares a durable engine. fn must close b and open a new Backend
// on the same files; the suite then checks that committed data survived.
// Without it the durability tests are skipped.
func Reopen(fn func(t *testing.T, b backend.Backend) backend.Backend) Option {
	return func(c *config) { c.reopen = fn }
}

// NotADatabase declares an engine that opens files. fn must try to open a
// path that holds something other than a database (for example a text
// file) and return the error; the suite requires that it does not panic and
// that the error wraps backend.ErrCorrupt and says more than the sentinel
// alone. Without it the test is skipped.
func NotADatabase(fn func(t *testing.T) error) Option {
	return func(c *config) { c.notADatabase = fn }
}

// Run runs the suite as subtests of t. open must return a new, empty engine
// each time it is called (durable engines open a fresh t.TempDir()). Run
// closes every engine it opens, tolerating ErrClosed, so open may register
// its own clean-up as well.
func Run(t *testing.T, open func(t *testing.T) backend.Backend, opts ...Option) {
	s := &suite{open: open}
	for _, o := range opts {
		o(&s.cfg)
	}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"MissingAndEmpty", s.testMissingAndEmpty},
		{"BinaryKeys", s.testBinaryKeys},
		{"Range", s.testRange},
		{"Prefix", s.testPrefix},
		{"SetCopies", s.testSetCopies},
		{"GetAppends", s.testGetAppends},
		{"IteratorCopies", s.testIteratorCopies},
		{"NextAfterEnd", s.testNextAfterEnd},
		{"SharedView", s.testSharedView},
		{"TxnReadsOwnWrites", s.testTxnReadsOwnWrites},
		{"TxnIteratorWrites", s.testTxnIteratorWrites},
		{"SnapshotIsolation", s.testSnapshotIsolation},
		{"Rollback", s.testRollback},
		{"EmptyKey", s.testEmptyKey},
		{"TxnDone", s.testTxnDone},
		{"ViewClosed", s.testViewClosed},
		{"Concurrent", s.testConcurrent},
		{"LargeValues", s.testLargeValues},
		{"ManyKeys", s.testManyKeys},
		{"Context", s.testContext},
		{"Closed", s.testClosed},
		{"CloseWaits", s.testCloseWaits},
		{"Stats", s.testStats},
		{"BackupRestore", s.testBackupRestore},
		{"RestoreRejects", s.testRestoreRejects},
		{"Reopen", s.testReopen},
		{"NotADatabase", s.testNotADatabase},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

type suite struct {
	open func(t *testing.T) backend.Backend
	cfg  config
}

// fresh opens an empty engine that is closed when t ends.
func (s *suite) fresh(t *testing.T) backend.Backend {
	t.Helper()
	b := s.open(t)
	require.NotNil(t, b, "open returned nil")
	closeAtEnd(t, b)
	return b
}

func closeAtEnd(t *testing.T, b backend.Backend) {
	t.Cleanup(func() {
		if err := b.Close(); err != nil && !errors.Is(err, backend.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
}

// entry is a key-value pair as strings, so failures print readably.
type entry struct{ key, value string }

func (e entry) String() string {
	v := e.value
	if len(v) > 24 {
		v = fmt.Sprintf("%q…(%d bytes)", v[:24], len(v))
	} else {
		v = fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q=%s", e.key, v)
}

// put commits entries in one transaction.
func put(t *testing.T, b backend.Backend, entries ...entry) {
	t.Helper()
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		for _, e := range entries {
			if err := txn.Set([]byte(e.key), []byte(e.value)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// drain reads it to the end, copying every entry, and closes it.
func drain(t *testing.T, it backend.Iterator) []entry {
	t.Helper()
	var out []entry
	for it.Next() {
		out = append(out, entry{string(it.Key()), string(it.Value())})
	}
	assert.NoError(t, it.Err())
	assert.NoError(t, it.Close())
	return out
}

// contents returns everything b holds, in key order, read from one view.
func contents(t *testing.T, b backend.Backend) []entry {
	t.Helper()
	v, err := b.View(t.Context())
	require.NoError(t, err)
	defer v.Close()
	return drain(t, v.Range(nil, nil, false))
}

// assertEntries compares entry lists, printing values shortened so a
// mismatch in a megabyte value stays readable.
func assertEntries(t *testing.T, want, got []entry, msgAndArgs ...any) bool {
	t.Helper()
	if len(want) == len(got) {
		same := true
		for i := range want {
			if want[i] != got[i] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return assert.Fail(t, fmt.Sprintf("entries differ\nwant %d: %s\ngot  %d: %s",
		len(want), summarize(want), len(got), summarize(got)), msgAndArgs...)
}

func summarize(es []entry) string {
	const show = 12
	parts := make([]string, 0, show+1)
	for i, e := range es {
		if i == show {
			parts = append(parts, fmt.Sprintf("… %d more", len(es)-show))
			break
		}
		parts = append(parts, e.String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// sortEntries sorts es by key, bytewise.
func sortEntries(es []entry) {
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.key, b.key) })
}

func reversed(es []entry) []entry {
	out := make([]entry, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e
	}
	return out
}

// getter is the Get of a Backend, a View or a Txn.
type getter func(key, buf []byte) ([]byte, error)

// eachGetter runs body against Backend.Get, View.Get and Txn.Get, each in
// its own subtest. Inside the transaction body should use assert, not
// require, so the transaction ends normally.
func eachGetter(t *testing.T, b backend.Backend, body func(t *testing.T, get getter)) {
	t.Run("Backend", func(t *testing.T) {
		ctx := t.Context()
		body(t, func(key, buf []byte) ([]byte, error) { return b.Get(ctx, key, buf) })
	})
	t.Run("View", func(t *testing.T) {
		v, err := b.View(t.Context())
		require.NoError(t, err)
		defer v.Close()
		body(t, v.Get)
	})
	t.Run("Txn", func(t *testing.T) {
		require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
			body(t, txn.Get)
			return nil
		}))
	})
}

// eachReader runs body against a View and a Txn, like eachGetter.
func eachReader(t *testing.T, b backend.Backend, body func(t *testing.T, r backend.Reader)) {
	t.Run("View", func(t *testing.T) {
		v, err := b.View(t.Context())
		require.NoError(t, err)
		defer v.Close()
		body(t, v)
	})
	t.Run("Txn", func(t *testing.T) {
		require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
			body(t, txn)
			return nil
		}))
	})
}

// errRollback is what transactions in the suite return to force a rollback.
var errRollback = errors.New("conformance: roll back")

// cancelled returns a context that is already cancelled.
func cancelled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
