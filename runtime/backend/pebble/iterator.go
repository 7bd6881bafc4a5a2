package pebble

import (
	"bytes"
	"fmt"
	"sync"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/synapsed/storegen/runtime/backend"
)

// Iterator states. An iterator is open (iterOpen) until it ends closed (by its user)
// or revoked (by its view, transaction or the engine). The backend.Iterator
// contract keeps an iterator's calls apart from the Close of what owns it,
// so the state is a plain field: Next pays no synchronisation per entry.
const (
	iterOpen int32 = iota
	closed
	revoked
)

// iterator is a Pebble iterator behind the backend.Iterator contract.
type iterator struct {
	state   int32
	it      *pebbledb.Iterator
	reverse bool
	started bool
	done    bool // Pebble's iterator is exhausted or failed
	key     []byte
	value   []byte
	err     error

	// owner and the list links are guarded by owner.mu.
	owner      *iterators
	prev, next *iterator
}

// newIterator opens a Pebble iterator over [lo, hi) through open and
// registers it with owner. The bounds are copied because Pebble reads them
// for the iterator's lifetime while the caller may reuse its slices.
func newIterator(owner *iterators, lo, hi []byte, reverse bool, open func(*pebbledb.IterOptions) (*pebbledb.Iterator, error)) backend.Iterator {
	if len(lo) == 0 {
		lo = nil // Pebble's invariant checks reject an empty, non-nil bound
	}
	if hi != nil && bytes.Compare(lo, hi) >= 0 {
		return failed(nil) // an empty range, which Pebble would call inverted
	}
	bounds := make([]byte, len(lo)+len(hi))
	copy(bounds, lo)
	copy(bounds[len(lo):], hi)
	o := pebbledb.IterOptions{}
	if lo != nil {
		o.LowerBound = bounds[:len(lo):len(lo)]
	}
	if hi != nil {
		o.UpperBound = bounds[len(lo):]
	}
	pi, err := open(&o)
	if err != nil {
		return failed(fmt.Errorf("pebble: iterate: %w", err))
	}
	it := &iterator{it: pi, reverse: reverse}
	if err := owner.add(it); err != nil {
		_ = pi.Close()
		return failed(err)
	}
	return it
}

// Next implements backend.Iterator.
func (it *iterator) Next() bool {
	if it.state != iterOpen || it.done {
		return false
	}
	var ok bool
	switch {
	case !it.started:
		it.started = true
		if it.reverse {
			ok = it.it.Last()
		} else {
			ok = it.it.First()
		}
	case it.reverse:
		ok = it.it.Prev()
	default:
		ok = it.it.Next()
	}
	if ok {
		// Values are read eagerly: Pebble stores them inline in its blocks
		// (value separation is off unless Options turn it on), so this is a
		// slice header.
		var err error
		it.key = it.it.Key()
		if it.value, err = it.it.ValueAndErr(); err != nil {
			ok, it.err = false, fmt.Errorf("pebble: iterate: %w", err)
		}
	}
	if !ok {
		it.done, it.key, it.value = true, nil, nil
		if err := it.it.Error(); err != nil && it.err == nil {
			it.err = fmt.Errorf("pebble: iterate: %w", err)
		}
	}
	return ok
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
	if it.state == iterOpen {
		it.owner.close(it)
	}
	it.key, it.value = nil, nil
	return it.err
}

// iterators is the set of open iterators of one view or transaction, so
// that ending the owner ends them.
type iterators struct {
	mu   sync.Mutex
	head *iterator
	// done is set once the owner ended; later iterators are refused.
	done error
}

func (s *iterators) add(it *iterator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return s.done
	}
	it.owner, it.next = s, s.head
	if s.head != nil {
		s.head.prev = it
	}
	s.head = it
	return nil
}

// close ends it at its user's request. The owner may have revoked it in the
// meantime; the state decides which of the two releases Pebble's iterator.
func (s *iterators) close(it *iterator) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.state != iterOpen {
		return
	}
	it.state = closed
	s.unlink(it)
	if err := it.it.Close(); err != nil && it.err == nil {
		it.err = fmt.Errorf("pebble: close iterator: %w", err)
	}
}

// revokeAll ends every open iterator with reason and refuses new ones. By
// the backend.Iterator contract no call of theirs is running. It returns the first error Pebble
// reported while closing them.
func (s *iterators) revokeAll(reason error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = reason
	var first error
	for s.head != nil {
		it := s.head
		it.state, it.key, it.value = revoked, nil, nil
		if it.err == nil {
			it.err = reason
		}
		s.unlink(it)
		if err := it.it.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *iterators) unlink(it *iterator) {
	if it.prev != nil {
		it.prev.next = it.next
	} else {
		s.head = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	}
	it.prev, it.next = nil, nil
}

// failedIterator is returned by Range when there is nothing to iterate:
// for an empty range (err nil) or when Range failed (err says why).
type failedIterator struct{ err error }

func failed(err error) backend.Iterator { return &failedIterator{err: err} }

func (f *failedIterator) Next() bool    { return false }
func (f *failedIterator) Key() []byte   { return nil }
func (f *failedIterator) Value() []byte { return nil }
func (f *failedIterator) Err() error    { return f.err }
func (f *failedIterator) Close() error  { return f.err }
