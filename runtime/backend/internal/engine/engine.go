// Package engine holds the bookkeeping that the embedded engines (Pebble,
// bbolt, SQLite) share around their own locks: the single-writer slot and
// the set of open views that Close ends.
package engine

import (
	"context"
	"sync"
)

// Writer is a single-writer slot. It is a channel rather than a mutex so
// that a writer waiting for it gives up when its context ends.
type Writer struct{ slot chan struct{} }

// NewWriter returns a free slot.
func NewWriter() Writer { return Writer{slot: make(chan struct{}, 1)} }

// Take waits for the slot, or for ctx to end, and then returns ctx's error.
func (w Writer) Take(ctx context.Context) error {
	select {
	case w.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Give frees the slot that Take took.
func (w Writer) Give() { <-w.slot }

// Views is the set of a backend's open views, so that its Close can end
// them. The zero value is an empty set, safe for concurrent use.
type Views[V comparable] struct {
	mu   sync.Mutex
	open map[V]struct{}
}

// Add counts v as open.
func (s *Views[V]) Add(v V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = make(map[V]struct{})
	}
	s.open[v] = struct{}{}
}

// Remove forgets v, which has ended.
func (s *Views[V]) Remove(v V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.open, v)
}

// Len returns how many views are open.
func (s *Views[V]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// TakeAll empties the set and returns the views it held, for the backend's
// Close to end.
func (s *Views[V]) TakeAll() []V {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]V, 0, len(s.open))
	for v := range s.open {
		all = append(all, v)
	}
	s.open = nil
	return all
}
