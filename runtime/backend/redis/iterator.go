package redis

import (
	"bytes"

	"github.com/synapsed/storegen/runtime/backend"
)

// owner is the view or transaction an iterator reads through.
type owner interface {
	// acquire returns why the owner can no longer be read, or nil; a nil
	// return must be paired with release.
	acquire() error
	release()
	// state returns why the owner ended, or nil, without acquiring it.
	state() error
	// observe sees every error a read returned.
	observe(err error)
}

// iterator merges a snapshot's entries with a transaction's writes in the
// range (none for a view), the writes winning on equal keys.
type iterator struct {
	own     owner
	scan    *scanner
	reverse bool
	overlay []write // in scan order; deleted writes hide snapshot entries

	base    entry // the next snapshot entry, when hasBase
	hasBase bool
	baseEnd bool // the snapshot has no more entries

	key, value []byte
	done       bool // Next will not advance again
	err        error
}

func newIterator(own owner, scan *scanner, reverse bool, overlay []write) *iterator {
	return &iterator{own: own, scan: scan, reverse: reverse, overlay: overlay}
}

// Next implements backend.Iterator.
func (it *iterator) Next() bool {
	it.key, it.value = nil, nil
	if it.done {
		return false
	}
	if err := it.own.acquire(); err != nil {
		return it.stop(err)
	}
	defer it.own.release()
	for {
		if !it.hasBase && !it.baseEnd {
			e, ok, err := it.scan.next()
			if err != nil {
				it.own.observe(err)
				return it.stop(err)
			}
			it.base, it.hasBase, it.baseEnd = e, ok, !ok
		}
		fromOverlay := false
		switch {
		case len(it.overlay) == 0 && !it.hasBase:
			return it.stop(nil)
		case len(it.overlay) == 0:
		case !it.hasBase:
			fromOverlay = true
		default:
			c := bytes.Compare(it.overlay[0].key, it.base.key)
			if it.reverse {
				c = -c
			}
			if c == 0 {
				it.hasBase = false // the write replaces or deletes the entry
			}
			fromOverlay = c <= 0
		}
		if !fromOverlay {
			it.key, it.value, it.hasBase = it.base.key, it.base.value, false
			return true
		}
		w := it.overlay[0]
		it.overlay = it.overlay[1:]
		if !w.deleted {
			it.key, it.value = w.key, w.value
			return true
		}
	}
}

// stop ends the iteration for good, keeping the first error.
func (it *iterator) stop(err error) bool {
	it.done, it.scan, it.overlay, it.hasBase = true, nil, nil, false
	if it.err == nil {
		it.err = err
	}
	return false
}

// Key implements backend.Iterator.
func (it *iterator) Key() []byte { return it.key }

// Value implements backend.Iterator.
func (it *iterator) Value() []byte { return it.value }

// Err implements backend.Iterator.
func (it *iterator) Err() error { return it.err }

// Close implements backend.Iterator. Closing an iterator whose view or
// transaction already ended reports why.
func (it *iterator) Close() error {
	if !it.done {
		it.stop(it.own.state())
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
