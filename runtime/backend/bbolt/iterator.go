package bbolt

import (
	"bytes"

	bolt "go.etcd.io/bbolt"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

// iterator is a bbolt cursor behind the backend.Iterator contract; its Link
// registers it with the view or transaction that opened it. (Reading
// entries ahead in batches measured slower than single steps.)
type iterator struct {
	cursor.Link
	// plain is set while the iterator is open, started, not done, and
	// moves forwards in a view: Next then only steps the cursor.
	plain   bool
	bucket  *bolt.Bucket
	cursor  *bolt.Cursor
	lo, hi  []byte
	reverse bool
	started bool
	done    bool // the cursor has left the range
	key     []byte
	value   []byte
	err     error

	// writes, in a transaction, counts its Sets and Deletes; a change means
	// the cursor is stale, and the iterator re-seeks past its key, which
	// stays valid for the transaction's lifetime. nil in a view.
	writes *uint64
	seen   uint64
	// pending, in a transaction, holds its writes not yet in the tree;
	// the iterator applies them before it moves. nil in a view.
	pending *pending
}

// newIterator opens a cursor on bucket over [lo, hi) and registers it with
// owner.
func newIterator(owner *cursor.Set, bucket *bolt.Bucket, writes *uint64, pending *pending, lo, hi []byte, reverse bool) backend.Iterator {
	lo, hi, empty := cursor.Bounds(lo, hi)
	if empty {
		return cursor.Failed(nil)
	}
	it := &iterator{bucket: bucket, cursor: bucket.Cursor(), lo: lo, hi: hi, reverse: reverse, writes: writes, pending: pending}
	if err := owner.Add(&it.Link, it); err != nil {
		return cursor.Failed(err)
	}
	return it
}

// Next implements backend.Iterator.
func (it *iterator) Next() bool {
	if it.plain {
		// The common case, kept short: forwards in a view, under way.
		k, v := it.cursor.Next()
		if k == nil || it.hi != nil && bytes.Compare(k, it.hi) >= 0 {
			it.plain, it.done, it.key, it.value = false, true, nil, nil
			return false
		}
		it.key, it.value = k, v
		return true
	}
	if it.done || it.Ended() {
		return false
	}
	if it.pending != nil {
		if err := it.pending.apply(it.bucket); err != nil {
			it.done, it.err, it.key, it.value = true, err, nil, nil
			return false
		}
	}
	var k, v []byte
	switch {
	case !it.started:
		it.started = true
		if it.writes != nil {
			it.seen = *it.writes
		}
		k, v = it.first()
		it.plain = !it.reverse && it.writes == nil
	case it.writes != nil && *it.writes != it.seen:
		it.seen = *it.writes
		k, v = it.after(it.key)
	case it.reverse:
		k, v = it.prev(it.key)
	default:
		k, v = it.cursor.Next()
	}
	if k == nil || it.reverse && it.lo != nil && bytes.Compare(k, it.lo) < 0 ||
		!it.reverse && it.hi != nil && bytes.Compare(k, it.hi) >= 0 {
		it.plain, it.done, it.key, it.value = false, true, nil, nil
		return false
	}
	it.key, it.value = k, v
	return true
}

// first positions the cursor on the range's first entry in the
// iteration's direction.
func (it *iterator) first() (key, value []byte) {
	switch {
	case !it.reverse && it.lo == nil:
		return it.cursor.First()
	case !it.reverse:
		return it.cursor.Seek(it.lo)
	case it.hi == nil:
		return it.last()
	}
	return it.before(it.hi)
}

// after positions the cursor on the entry that follows key in the
// iteration's direction, as the data stands now.
func (it *iterator) after(key []byte) (k, v []byte) {
	if it.reverse {
		return it.before(key)
	}
	if k, v = it.cursor.Seek(key); k != nil && bytes.Equal(k, key) {
		return it.cursor.Next()
	}
	return k, v
}

// before positions the cursor on the last key below bound.
func (it *iterator) before(bound []byte) (key, value []byte) {
	k, _ := it.cursor.Seek(bound)
	if k == nil {
		return it.last()
	}
	return it.prev(k)
}

// Deletes in a read-write transaction leave empty leaves until commit
// rebalances the tree. bbolt's Next and Seek skip them; its Prev stops at
// one and returns nil although earlier keys exist, and its Last loops
// forever when every leaf is empty. last and prev work around both in
// transactions; views read committed pages, which have no empty leaves.

// last positions the cursor on the bucket's last key.
func (it *iterator) last() (key, value []byte) {
	if it.writes != nil {
		if k, _ := it.cursor.First(); k == nil {
			return nil, nil
		}
	}
	return it.cursor.Last()
}

// prev moves the cursor from the key from to the one before it.
func (it *iterator) prev(from []byte) (key, value []byte) {
	k, v := it.cursor.Prev()
	if k != nil || it.writes == nil {
		return k, v
	}
	// At the start, or at an empty leaf: only if the bucket's first key
	// lies before from is there more, and then further Prevs reach it,
	// each passing at least one empty leaf, before the start.
	if first, _ := it.bucket.Cursor().First(); first == nil || bytes.Compare(first, from) >= 0 {
		return nil, nil
	}
	for k == nil {
		k, v = it.cursor.Prev()
	}
	return k, v
}

// Key implements backend.Iterator. The key lies in the transaction's
// pages; it is nil once the iterator ended, so a key is never read from a
// released transaction.
func (it *iterator) Key() []byte { return it.key }

// Value implements backend.Iterator, like Key.
func (it *iterator) Value() []byte { return it.value }

// Err implements backend.Iterator.
func (it *iterator) Err() error { return it.err }

// Close implements backend.Iterator. It reports the reason if the view,
// transaction or engine ended the iterator first.
func (it *iterator) Close() error {
	_ = it.Link.Close()
	it.key, it.value = nil, nil
	return it.err
}

// Release implements cursor.Releaser: the cursor needs no closing, so it
// only takes the iterator off its short path and, when the owner ended it,
// records why.
func (it *iterator) Release(reason error) error {
	it.plain, it.key, it.value = false, nil, nil
	if reason != nil && it.err == nil {
		it.err = reason
	}
	return nil
}
