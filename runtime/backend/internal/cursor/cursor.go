// Package cursor holds the bookkeeping that the Pebble and bbolt engines
// share for their iterators: the set of iterators a view or transaction has
// open, so that ending the owner ends them, the copying of Range bounds,
// and the iterator returned when there is nothing to iterate. It knows
// nothing of either engine's cursors.
//
// The backend contract forbids iterator calls that overlap the Close of
// their view, transaction or engine, so an iterator tests its state with
// plain loads: the owner's Close happens before or after each call.
package cursor

import (
	"bytes"
	"sync"

	"github.com/synapsed/storegen/runtime/backend"
)

// Releaser is an engine iterator as the Set sees it.
type Releaser interface {
	// Release ends the iterator's cursor. reason is nil when the iterator's
	// user closed it, else why the owner ended it (ErrTxDone, ErrClosed);
	// the iterator reports it from Err. Release is called once, with the
	// Set's lock held.
	Release(reason error) error
}

// Link makes an iterator a member of a Set. Engines embed it in their
// iterator, so registering allocates nothing.
type Link struct {
	set        *Set
	r          Releaser
	prev, next *Link
	ended      bool
}

// Set is the set of open iterators of one view or transaction.
type Set struct {
	mu   sync.Mutex
	head *Link
	// done is set once the owner ended; later iterators are refused.
	done error
}

// Add registers r, which embeds l, or returns why the owner ended.
func (s *Set) Add(l *Link, r Releaser) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return s.done
	}
	l.set, l.r, l.next = s, r, s.head
	if s.head != nil {
		s.head.prev = l
	}
	s.head = l
	return nil
}

// Ended reports whether the iterator was closed or revoked. It is a plain
// load: by the backend contract, no call of the iterator overlaps the Close
// of its owner.
func (l *Link) Ended() bool { return l.ended }

// Close ends l at its user's request and returns what its Release
// returned. Closing an ended iterator does nothing.
func (l *Link) Close() error {
	if l.set == nil {
		return nil
	}
	s := l.set
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.ended {
		return nil
	}
	l.ended = true
	s.unlink(l)
	return l.r.Release(nil)
}

// RevokeAll ends every open iterator with reason and refuses new ones. It
// returns the first error a Release reported.
func (s *Set) RevokeAll(reason error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = reason
	var first error
	for s.head != nil {
		l := s.head
		l.ended = true
		s.unlink(l)
		if err := l.r.Release(reason); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *Set) unlink(l *Link) {
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		s.head = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	}
	l.prev, l.next = nil, nil
}

// Bounds copies the bounds of a Range into one allocation, because engines
// read them for the iterator's lifetime while the caller may reuse its
// slices. An empty lo becomes nil (no bound). empty reports a range that
// holds no key (lo >= hi), which engines answer with Failed(nil).
func Bounds(lo, hi []byte) (clo, chi []byte, empty bool) {
	if len(lo) == 0 {
		lo = nil
	}
	if hi != nil && bytes.Compare(lo, hi) >= 0 {
		return nil, nil, true
	}
	b := make([]byte, len(lo)+len(hi))
	copy(b, lo)
	copy(b[len(lo):], hi)
	if lo != nil {
		clo = b[:len(lo):len(lo)]
	}
	if hi != nil {
		chi = b[len(lo):]
	}
	return clo, chi, false
}

// Failed returns an iterator with nothing to iterate: for an empty range
// (err nil) or when Range failed (err says why).
func Failed(err error) backend.Iterator { return &failed{err: err} }

type failed struct{ err error }

func (f *failed) Next() bool    { return false }
func (f *failed) Key() []byte   { return nil }
func (f *failed) Value() []byte { return nil }
func (f *failed) Err() error    { return f.err }
func (f *failed) Close() error  { return f.err }
