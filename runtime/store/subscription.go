package store

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrSlowConsumer is the Err of a subscription disconnected because its
// buffer was full under the Disconnect overflow policy.
var ErrSlowConsumer = errors.New("storegen: subscriber too slow, disconnected")

// Overflow says what a subscription does with an event when its buffer is
// full. Writers never wait for subscribers.
type Overflow uint8

// Overflow policies.
const (
	// DropOldest discards the oldest buffered event to make room.
	DropOldest Overflow = iota
	// DropNewest discards the event that did not fit.
	DropNewest
	// Disconnect closes the subscription with ErrSlowConsumer.
	Disconnect
)

// DefaultBuffer is the buffer size of a subscription without a Buffer option.
const DefaultBuffer = 1024

// Subscription delivers events of type E on a channel until it is closed,
// by Close, by cancelling the context it was made with, by the DB closing,
// or by the Disconnect overflow policy.
//
// Every event offered to the subscription is either delivered on C or
// counted by Dropped: once C is closed and drained, the number received
// plus Dropped equals Published.
type Subscription[E any] struct {
	ch       chan E
	overflow Overflow
	filter   func(*E) bool
	probe    E // what filter looks at; circuit goroutine only

	mu      sync.Mutex
	closed  bool
	err     error
	pending []E // events held back while existing records replay
	replay  bool

	published atomic.Uint64
	dropped   atomic.Uint64

	// done is closed when the subscription starts ending; the replay
	// goroutine, counted by replaying, stops sending when it sees it.
	done      chan struct{}
	replaying sync.WaitGroup
	// onClose releases what delivers to the subscription; it runs once.
	onClose   func()
	closeOnce sync.Once
	// onDrop, if set, is told of every dropped event (Queue OVERFLOW).
	onDrop func()
}

func newSubscription[E any](cfg *watchConfig, filter func(*E) bool) *Subscription[E] {
	return &Subscription[E]{
		ch:       make(chan E, cfg.buffer),
		done:     make(chan struct{}),
		overflow: cfg.overflow,
		filter:   filter,
	}
}

// C returns the channel events arrive on. It is closed when the
// subscription ends; events buffered before that can still be received.
func (s *Subscription[E]) C() <-chan E { return s.ch }

// Close ends the subscription and closes C. It is idempotent.
func (s *Subscription[E]) Close() { s.end(nil) }

// Err returns why the subscription ended: nil after Close or a cancelled
// context's error, ErrSlowConsumer after a disconnect, ErrClosed when the
// DB closed.
func (s *Subscription[E]) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Dropped returns how many events the overflow policy discarded.
func (s *Subscription[E]) Dropped() uint64 { return s.dropped.Load() }

// Published returns how many events matched the subscription's filters
// while it was open.
func (s *Subscription[E]) Published() uint64 { return s.published.Load() }

// Lag returns how many events wait in the buffer for the receiver.
func (s *Subscription[E]) Lag() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ch) + len(s.pending)
}

func (s *Subscription[E]) end(err error) {
	s.closeOnce.Do(func() {
		close(s.done)
		s.replaying.Wait()
		s.mu.Lock()
		s.closed = true
		s.err = err
		s.dropped.Add(uint64(len(s.pending)))
		s.pending = nil
		close(s.ch)
		cleanup := s.onClose
		s.mu.Unlock()
		if cleanup != nil {
			cleanup()
		}
	})
}

// setCleanup sets what end runs to detach the subscription; if it already
// ended, cleanup runs now.
func (s *Subscription[E]) setCleanup(cleanup func()) {
	s.mu.Lock()
	if !s.closed {
		s.onClose = cleanup
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	cleanup()
}

// offer is the subscription's pipe, a substrates.DirectFunc: it runs in
// the circuit's place, on the circuit's goroutine or on a committing
// writer's, so it must never block. It filters, then sends without
// waiting, applying the overflow policy when the buffer is full.
func (s *Subscription[E]) offer(e E) {
	if s.filter != nil {
		// Filter a copy held by the subscription: taking e's address would
		// move every event to the heap.
		s.probe = e
		if !s.filter(&s.probe) {
			return
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.published.Add(1)
	if s.replay {
		s.hold(e)
		s.mu.Unlock()
		return
	}
	select {
	case s.ch <- e:
		s.mu.Unlock()
		return
	default:
	}
	switch s.overflow {
	case DropNewest:
		s.drop()
	case DropOldest:
		// The receiver may take one meanwhile; either way there is room.
		select {
		case <-s.ch:
			s.drop()
		default:
		}
		select {
		case s.ch <- e:
		default:
			s.drop()
		}
	case Disconnect:
		s.drop()
		s.mu.Unlock()
		go s.end(ErrSlowConsumer) // not on the circuit goroutine: end unsubscribes
		return
	}
	s.mu.Unlock()
}

// hold keeps e until replay finishes, under the same overflow policy.
func (s *Subscription[E]) hold(e E) {
	if len(s.pending) < cap(s.ch) {
		s.pending = append(s.pending, e)
		return
	}
	switch s.overflow {
	case DropOldest:
		copy(s.pending, s.pending[1:])
		s.pending[len(s.pending)-1] = e
		s.drop()
	case DropNewest:
		s.drop()
	case Disconnect:
		s.drop()
		go s.end(ErrSlowConsumer)
	}
}

func (s *Subscription[E]) drop() {
	s.dropped.Add(1)
	if s.onDrop != nil {
		s.onDrop()
	}
}

// deliver sends e, waiting for the receiver; used only by the replay of
// existing records, which runs on its own goroutine. It reports false once
// the subscription ended.
func (s *Subscription[E]) deliver(e E) bool {
	select {
	case s.ch <- e:
		return true
	case <-s.done:
		return false
	}
}

// finishReplay hands the live events held during replay to the receiver,
// waiting for it, then switches the subscription to live delivery.
func (s *Subscription[E]) finishReplay() {
	for {
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		if len(batch) == 0 || s.closed {
			s.replay = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for i, e := range batch {
			if !s.deliver(e) {
				s.dropped.Add(uint64(len(batch) - i))
				return
			}
		}
	}
}
