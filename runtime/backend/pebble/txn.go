package pebble

import (
	"fmt"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

// txn is a backend.Txn on a Pebble batch. Because Update admits one writer
// at a time, the database's latest state is the state the transaction
// started from, and reads are served from it until the transaction writes.
// Writes go to a plain batch, which is cheap to fill; the first read after
// a write moves them into an indexed batch, which reads see through. A
// write-only transaction therefore never pays for the index. A txn is used
// by the goroutine running the Update function.
type txn struct {
	db    *pebbledb.DB
	batch *pebbledb.Batch
	done  bool
	iters cursor.Set
}

// reader is what the transaction's reads go to: the database while
// nothing is written, else the (now indexed) batch.
func (t *txn) reader() (pebbledb.Reader, error) {
	switch {
	case t.batch.Empty():
		return t.db, nil
	case t.batch.Indexed():
		return t.batch, nil
	}
	indexed := t.db.NewIndexedBatch()
	if err := indexed.Apply(t.batch, nil); err != nil {
		_ = indexed.Close()
		return nil, fmt.Errorf("pebble: index transaction: %w", err)
	}
	_ = t.batch.Close()
	t.batch = indexed
	return indexed, nil
}

// Get implements backend.Reader.
func (t *txn) Get(key, buf []byte) ([]byte, error) {
	if t.done {
		return nil, backend.ErrTxDone
	}
	r, err := t.reader()
	if err != nil {
		return nil, err
	}
	value, closer, err := r.Get(key)
	return appendValue(buf, value, closer, err)
}

// Range implements backend.Reader. The iterator sees the transaction's
// writes made before Range was called, not later ones.
func (t *txn) Range(lo, hi []byte, reverse bool) backend.Iterator {
	if t.done {
		return cursor.Failed(backend.ErrTxDone)
	}
	r, err := t.reader()
	if err != nil {
		return cursor.Failed(err)
	}
	return newIterator(&t.iters, lo, hi, reverse, r.NewIter)
}

// Set implements backend.Txn. Pebble copies key and value into the batch.
func (t *txn) Set(key, value []byte) error {
	switch {
	case t.done:
		return backend.ErrTxDone
	case len(key) == 0:
		return backend.ErrKeyEmpty
	}
	if err := t.batch.Set(key, value, nil); err != nil {
		return fmt.Errorf("pebble: set: %w", err)
	}
	return nil
}

// Delete implements backend.Txn.
func (t *txn) Delete(key []byte) error {
	switch {
	case t.done:
		return backend.ErrTxDone
	case len(key) == 0:
		return backend.ErrKeyEmpty
	}
	if err := t.batch.Delete(key, nil); err != nil {
		return fmt.Errorf("pebble: delete: %w", err)
	}
	return nil
}

// finish ends the transaction for its user: later calls and its open
// iterators return backend.ErrTxDone.
func (t *txn) finish() {
	t.done = true
	_ = t.iters.RevokeAll(backend.ErrTxDone)
}

// end finishes the transaction and closes its batch, which discards the
// batch if it was not committed. Iterators go first because they may read
// the batch's memory.
func (t *txn) end() {
	t.finish()
	_ = t.batch.Close()
}
