package bbolt

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

// txn is a backend.Txn on bbolt's read-write transaction. Sets and Deletes
// wait in its pending writes until an iterator or the commit needs them in
// the tree. A txn is used by the goroutine running the Update function.
type txn struct {
	tx     *bolt.Tx
	bucket *bolt.Bucket
	// gets is the cursor of every Get, made at the first: a seek starts
	// from the root, so one cursor serves them all, where a cursor each
	// would be two allocations per Get.
	gets *bolt.Cursor
	done bool
	// writes counts Sets and Deletes, so open iterators know to re-seek.
	writes  uint64
	pending *pending
	iters   cursor.Set
}

// Get implements backend.Reader.
func (t *txn) Get(key, buf []byte) ([]byte, error) {
	if t.done {
		return nil, backend.ErrTxDone
	}
	switch v, found := t.pending.get(key); {
	case !found:
		if t.gets == nil {
			t.gets = t.bucket.Cursor()
		}
		return get(t.gets, key, buf)
	case v == nil:
		return nil, backend.ErrNotFound
	case buf == nil && len(v) == 0:
		return []byte{}, nil
	default:
		return append(buf, v...), nil
	}
}

// Range implements backend.Reader. An iterator sees the transaction's
// writes up to its position: a write made while it is open re-positions
// it after the last key it returned, so it sees later keys as they are
// then.
func (t *txn) Range(lo, hi []byte, reverse bool) backend.Iterator {
	if t.done {
		return cursor.Failed(backend.ErrTxDone)
	}
	return newIterator(&t.iters, t.bucket, &t.writes, t.pending, lo, hi, reverse)
}

// Set implements backend.Txn. It refuses what bbolt's Put would refuse
// now, so that applying the pending writes later does not fail.
func (t *txn) Set(key, value []byte) error {
	switch {
	case t.done:
		return backend.ErrTxDone
	case len(key) == 0:
		return backend.ErrKeyEmpty
	case len(key) > bolt.MaxKeySize:
		return fmt.Errorf("bbolt: set: %w", bolterrors.ErrKeyTooLarge)
	case int64(len(value)) > bolt.MaxValueSize:
		return fmt.Errorf("bbolt: set: %w", bolterrors.ErrValueTooLarge)
	}
	t.writes++
	t.pending.set(key, value)
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
	t.pending.delete(key)
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
