package pebble

import (
	"fmt"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

// iterator is a Pebble iterator behind the backend.Iterator contract; its
// Link registers it with the view or transaction that opened it.
type iterator struct {
	cursor.Link
	// forward is set while the iterator is open, started, not done, and
	// moves forwards: Next then only steps Pebble's iterator.
	forward bool
	it      *pebbledb.Iterator
	reverse bool
	started bool
	done    bool // Pebble's iterator is exhausted or failed
	key     []byte
	value   []byte
	err     error
}

// newIterator opens a Pebble iterator over [lo, hi) through open and
// registers it with owner.
func newIterator(owner *cursor.Set, lo, hi []byte, reverse bool, open func(*pebbledb.IterOptions) (*pebbledb.Iterator, error)) backend.Iterator {
	lo, hi, empty := cursor.Bounds(lo, hi)
	if empty {
		return cursor.Failed(nil) // Pebble would call the range inverted
	}
	o := pebbledb.IterOptions{LowerBound: lo, UpperBound: hi}
	pi, err := open(&o)
	if err != nil {
		return cursor.Failed(fmt.Errorf("pebble: iterate: %w", err))
	}
	it := &iterator{it: pi, reverse: reverse}
	if err := owner.Add(&it.Link, it); err != nil {
		_ = pi.Close()
		return cursor.Failed(err)
	}
	return it
}

// Next implements backend.Iterator.
func (it *iterator) Next() bool {
	if it.forward {
		// The common case, kept short: forwards, under way, no error. It
		// is read written out, which does not inline.
		if it.it.Next() {
			v, err := it.it.ValueAndErr()
			if err != nil {
				return it.finish(fmt.Errorf("pebble: iterate: %w", err))
			}
			it.key, it.value = it.it.Key(), v
			return true
		}
		return it.finish(nil)
	}
	if it.done || it.Ended() {
		return false
	}
	// A forward iteration under way takes the short path above, so here
	// the iteration starts or goes backwards.
	var ok bool
	switch {
	case it.started:
		ok = it.it.Prev()
	case it.reverse:
		it.started = true
		ok = it.it.Last()
	default:
		it.started = true
		ok = it.it.First()
	}
	if !ok {
		return it.finish(nil)
	}
	it.forward = !it.reverse
	return it.read()
}

// read takes the entry Pebble's iterator is on. Values are read eagerly:
// Pebble stores them inline in its blocks (value separation is off unless
// Options turn it on), so this is a slice header.
func (it *iterator) read() bool {
	v, err := it.it.ValueAndErr()
	if err != nil {
		return it.finish(fmt.Errorf("pebble: iterate: %w", err))
	}
	it.key, it.value = it.it.Key(), v
	return true
}

// finish ends the iteration, with err or the error Pebble's iterator
// reports, if any.
func (it *iterator) finish(err error) bool {
	it.forward, it.done, it.key, it.value = false, true, nil, nil
	if err == nil {
		if err = it.it.Error(); err != nil {
			err = fmt.Errorf("pebble: iterate: %w", err)
		}
	}
	if it.err == nil {
		it.err = err
	}
	return false
}

// Key implements backend.Iterator. It is nil once the iterator ended, so a
// key is never read from memory Pebble has released.
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

// Release implements cursor.Releaser: it closes Pebble's iterator, at the
// user's request (reason nil) or because the owner ended.
func (it *iterator) Release(reason error) error {
	it.forward, it.key, it.value = false, nil, nil
	err := it.it.Close()
	switch {
	case it.err != nil:
	case reason != nil:
		it.err = reason
	case err != nil:
		it.err = fmt.Errorf("pebble: close iterator: %w", err)
	}
	return err
}
