package backend

import (
	"math"
	"sync"
	"sync/atomic"
)

// Gate lets an engine's calls run concurrently and makes Close wait for the
// running ones, after which every call fails with ErrClosed instead of
// reaching a released engine (Pebble and bbolt panic or fault when used
// after close). Entering costs one atomic add; calls may nest.
//
// The zero Gate is open.
type Gate struct {
	// state counts running calls; closedBit is set once Close starts.
	state   atomic.Int64
	once    sync.Once
	drained chan struct{}
	mu      sync.Mutex
}

const closedBit = math.MinInt64

// Enter registers a running call, or returns ErrClosed. Every successful
// Enter must be paired with one Exit.
func (g *Gate) Enter() error {
	if g.state.Add(1) < 0 {
		g.Exit()
		return ErrClosed
	}
	return nil
}

// Exit ends a call registered by Enter.
func (g *Gate) Exit() {
	if g.state.Add(-1) == closedBit {
		g.signal()
	}
}

// Closed reports whether Close has started.
func (g *Gate) Closed() bool { return g.state.Load() < 0 }

// Close refuses new calls and waits for running ones to finish. It returns
// ErrClosed if the gate was already closed.
func (g *Gate) Close() error {
	g.mu.Lock()
	if g.drained == nil {
		g.drained = make(chan struct{})
	}
	g.mu.Unlock()
	for {
		s := g.state.Load()
		if s < 0 {
			return ErrClosed
		}
		if g.state.CompareAndSwap(s, s|closedBit) {
			if s == 0 {
				g.signal()
			}
			break
		}
	}
	<-g.drained
	return nil
}

func (g *Gate) signal() {
	g.once.Do(func() {
		g.mu.Lock()
		if g.drained == nil {
			g.drained = make(chan struct{})
		}
		close(g.drained)
		g.mu.Unlock()
	})
}
