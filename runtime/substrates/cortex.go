package substrates

import (
	"sync"
	"sync/atomic"
)

// Cortex is the entry point: it interns Names, hands out Ids, and makes
// Circuits. There is no global state; everything a Cortex makes belongs to
// it, and Names or Subjects of two Cortexes never compare equal. A Cortex is
// safe for concurrent use.
type Cortex struct {
	ids atomic.Uint64

	namesMu sync.RWMutex
	names   map[string]*nameNode

	mu       sync.Mutex
	circuits map[*Circuit]struct{} // open circuits, closed by Close
	closed   bool
}

// NewCortex returns an empty Cortex.
func NewCortex() *Cortex {
	return &Cortex{
		names:    make(map[string]*nameNode),
		circuits: make(map[*Circuit]struct{}),
	}
}

func (c *Cortex) nextID() Id { return Id(c.ids.Add(1)) }

// Circuit starts and returns a new Circuit called name (a dot-separated
// path; see Cortex.Name). Each call makes a circuit of its own, with its own
// goroutine, even for a name used before. After Close the circuit returned
// is already closed and starts no goroutine.
func (c *Cortex) Circuit(name string, opts ...CircuitOption) *Circuit {
	cir := newCircuit(c, c.Name(name), opts)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cir.closed = true
		close(cir.done)
		return cir
	}
	c.circuits[cir] = struct{}{}
	c.mu.Unlock()
	go cir.run()
	return cir
}

// Close closes every circuit of the Cortex (each drains what was queued
// before it stops) and makes later circuits closed from the start. It is
// idempotent.
func (c *Cortex) Close() {
	c.mu.Lock()
	c.closed = true
	open := make([]*Circuit, 0, len(c.circuits))
	for cir := range c.circuits {
		open = append(open, cir)
	}
	c.mu.Unlock()
	for _, cir := range open {
		cir.Close()
	}
}

// forget drops a closed circuit from the set Close closes.
func (c *Cortex) forget(cir *Circuit) {
	c.mu.Lock()
	delete(c.circuits, cir)
	c.mu.Unlock()
}
