package bbolt

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

// txn is a backend.Txn on bbolt's read-write transaction. Set copies values
// into the Backend's arena. A txn is used by the goroutine running the
// Update function.
type txn struct {
	tx     *bolt.Tx
	bucket *bolt.Bucket
	done   bool
	// writes counts Sets and Deletes, so open iterators know to re-seek.
	writes uint64
	values *arena
	iters  cursor.Set
}

// Get implements backend.Reader.
func (t *txn) Get(key, buf []byte) ([]byte, error) {
	if t.done {
		return nil, backend.ErrTxDone
	}
	return get(t.bucket, key, buf)
}

// Range implements backend.Reader. An iterator sees the transaction's
// writes up to its position: a write made while it is open re-positions
// it after the last key it returned, so it sees later keys as they are
// then.
func (t *txn) Range(lo, hi []byte, reverse bool) backend.Iterator {
	if t.done {
		return cursor.Failed(backend.ErrTxDone)
	}
	return newIterator(&t.iters, t.bucket, &t.writes, lo, hi, reverse)
}

// Set implements backend.Txn.
func (t *txn) Set(key, value []byte) error {
	switch {
	case t.done:
		return backend.ErrTxDone
	case len(key) == 0:
		return backend.ErrKeyEmpty
	}
	t.writes++
	if err := t.bucket.Put(key, t.values.copy(value)); err != nil {
		return fmt.Errorf("bbolt: set: %w", err)
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
	t.writes++
	if err := t.bucket.Delete(key); err != nil {
		return fmt.Errorf("bbolt: delete: %w", err)
	}
	return nil
}

// finish ends the transaction for its user: later calls and its open
// iterators return backend.ErrTxDone.
func (t *txn) finish() {
	t.done = true
	t.iters.RevokeAll(backend.ErrTxDone)
}

// end finishes the transaction and rolls it back unless it committed.
func (t *txn) end() {
	t.finish()
	if t.tx.DB() != nil {
		_ = t.tx.Rollback()
	}
}
