package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/synapsed/storegen/runtime/backend"
)

// reader is the read half shared by views and transactions: an SQLite
// transaction and the iterators open on it. mu serialises every use of the
// transaction's connection (which SQLite serialises anyway) and lets end
// wait for a running call before it closes what the call uses.
type reader struct {
	b   *Backend
	tx  *sql.Tx
	ctx context.Context // the Update's context; Background for a view
	get *sql.Stmt       // stmtGet on tx

	mu    sync.Mutex
	ended error // why the view or transaction ended; nil while open
	iters map[*iterator]struct{}
	// writable is set in a transaction, whose iterators must step over
	// rows that its own writes moved under them.
	writable bool
}

func (r *reader) init(b *Backend, tx *sql.Tx, ctx context.Context, get *sql.Stmt) {
	r.b, r.tx, r.ctx = b, tx, ctx
	r.get = tx.StmtContext(ctx, get)
}

// fail turns an error from the driver into the one to report: the
// context's error if the statement failed because ctx ended.
func (r *reader) fail(op string, err error) error {
	if cerr := r.ctx.Err(); cerr != nil {
		return cerr
	}
	return r.b.wrap(op, err)
}

// Get implements backend.Reader.
func (r *reader) Get(key, buf []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended != nil {
		return nil, r.ended
	}
	v, err := getValue(r.ctx, r.get, key, buf)
	if err != nil && err != backend.ErrNotFound {
		return nil, r.fail("get", err)
	}
	return v, err
}

// Range implements backend.Reader. Each iterator runs a statement of its
// own and streams its rows from SQLite as Next asks for them.
func (r *reader) Range(lo, hi []byte, reverse bool) backend.Iterator {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended != nil {
		return failed(r.ended)
	}
	if lo == nil {
		lo = []byte{} // the empty blob sorts before every key; nil would bind as NULL
	}
	args, bounded, desc := []any{lo}, 0, 0
	if hi != nil {
		args, bounded = append(args, hi), 1
	}
	if reverse {
		desc = 1
	}
	rows, err := r.tx.QueryContext(r.ctx, rangeSQL[bounded][desc], args...)
	if err != nil {
		return failed(r.fail("range", err))
	}
	it := &iterator{r: r, rows: rows, reverse: reverse, track: r.writable}
	if r.iters == nil {
		r.iters = make(map[*iterator]struct{})
	}
	r.iters[it] = struct{}{}
	return it
}

// end ends the view or transaction with reason and revokes its open
// iterators. It reports whether this call ended it.
func (r *reader) end(reason error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended != nil {
		return false
	}
	r.ended = reason
	for it := range r.iters {
		it.stop(reason)
	}
	return true
}

// view is a backend.View on a read transaction; its methods may be called
// from several goroutines.
type view struct{ reader }

func newView(b *Backend, tx *sql.Tx) *view {
	v := &view{}
	v.init(b, tx, context.Background(), b.getStmt)
	return v
}

// Close implements backend.View. After the engine closed, the view is
// already released and Close returns nil.
func (v *view) Close() error {
	err := v.release(backend.ErrTxDone)
	v.b.untrack(v)
	return err
}

// release ends the view with reason and gives its connection back; only
// the first call does anything.
func (v *view) release(reason error) error {
	if !v.end(reason) {
		return nil
	}
	if err := v.tx.Rollback(); err != nil {
		return fmt.Errorf("sqlite: close view on %s: %w", v.b.path, err)
	}
	return nil
}

// txn is a backend.Txn on the write connection's transaction. SQLite
// applies each write at once inside the transaction, so reads see the
// transaction's own writes without an overlay. It is used by the goroutine
// running the Update function.
type txn struct {
	reader
	set, del *sql.Stmt // on tx
}

func newTxn(b *Backend, tx *sql.Tx, ctx context.Context) *txn {
	t := &txn{}
	t.init(b, tx, ctx, b.writeStmts[stmtGet])
	t.writable = true
	t.set = tx.StmtContext(ctx, b.writeStmts[stmtSet])
	t.del = tx.StmtContext(ctx, b.writeStmts[stmtDelete])
	return t
}

// Set implements backend.Txn. The driver copies key and value into SQLite.
func (t *txn) Set(key, value []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.ended != nil:
		return t.ended
	case len(key) == 0:
		return backend.ErrKeyEmpty
	}
	if value == nil {
		value = []byte{} // stored as an empty blob; nil would bind as NULL
	}
	if _, err := t.set.ExecContext(t.ctx, key, value); err != nil {
		return t.fail("set", err)
	}
	return nil
}

// Delete implements backend.Txn.
func (t *txn) Delete(key []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.ended != nil:
		return t.ended
	case len(key) == 0:
		return backend.ErrKeyEmpty
	}
	if _, err := t.del.ExecContext(t.ctx, key); err != nil {
		return t.fail("delete", err)
	}
	return nil
}

// iterator streams the rows of one range query. Key and Value point into
// the driver's row buffer, valid until the next Next or Close, as the
// interface allows.
type iterator struct {
	r          *reader
	rows       *sql.Rows // nil once the iterator ended
	key, value sql.RawBytes
	err        error
	reverse    bool
	// track is set in a transaction: SQLite may return a row again after
	// the transaction overwrote it under the open statement, so the
	// iterator keeps a copy of its last key and skips rows not beyond it.
	track bool
	last  []byte
}

// Next implements backend.Iterator.
func (it *iterator) Next() bool {
	r := it.r
	r.mu.Lock()
	defer r.mu.Unlock()
	it.key, it.value = nil, nil
	if it.rows == nil {
		return false
	}
	for it.rows.Next() {
		if err := it.rows.Scan(&it.key, &it.value); err != nil {
			it.err = r.fail("iterate", err)
			it.stop(nil)
			return false
		}
		if !it.track {
			return true
		}
		if it.last != nil {
			if c := bytes.Compare(it.key, it.last); c == 0 || c < 0 != it.reverse {
				continue // a row this iterator already returned, moved by a write
			}
		}
		it.last = append(it.last[:0], it.key...)
		return true
	}
	if err := it.rows.Err(); err != nil {
		it.err = r.fail("iterate", err)
	}
	it.stop(nil)
	return false
}

// stop closes the rows and records reason unless an error came first. The
// caller holds r.mu. It leaves key and value alone: they belong to the
// iterator's user, and the memory they point to stays valid.
func (it *iterator) stop(reason error) {
	_ = it.rows.Close()
	it.rows = nil
	if it.err == nil {
		it.err = reason
	}
	delete(it.r.iters, it)
}

// Key implements backend.Iterator.
func (it *iterator) Key() []byte { return it.key }

// Value implements backend.Iterator.
func (it *iterator) Value() []byte { return it.value }

// Err implements backend.Iterator.
func (it *iterator) Err() error {
	it.r.mu.Lock()
	defer it.r.mu.Unlock()
	return it.err
}

// Close implements backend.Iterator. It reports the reason if the view,
// transaction or engine ended the iterator first.
func (it *iterator) Close() error {
	it.r.mu.Lock()
	defer it.r.mu.Unlock()
	if it.rows != nil {
		it.stop(nil)
	}
	it.key, it.value = nil, nil
	return it.err
}

// failedIterator is returned by Range when no iteration is possible; it
// reports err from Err and Close.
type failedIterator struct{ err error }

func failed(err error) backend.Iterator { return &failedIterator{err: err} }

func (f *failedIterator) Next() bool    { return false }
func (f *failedIterator) Key() []byte   { return nil }
func (f *failedIterator) Value() []byte { return nil }
func (f *failedIterator) Err() error    { return f.err }
func (f *failedIterator) Close() error  { return f.err }
