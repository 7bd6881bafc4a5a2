package substrates

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Circuit owns one goroutine and one queue, and runs every pipe and
// subscriber of its conduits on that goroutine, one at a time, in the
// circuit's order (the one exception: an emitter that finds the circuit
// idle may run DirectFunc pipes itself, in its place; see DirectAfter):
//
//   - Ingress: an Emit (or Subscribe, Subscription.Close, new Channel) made
//     on any other goroutine is appended to the queue and returns at once;
//     it never waits for a pipe. The queue grows as needed.
//   - Transit: an Emit made on the circuit's goroutine — by a pipe or a
//     subscriber while it runs — is processed after the work in hand and
//     before the next ingress item, so all the effects of one ingress item
//     complete before the next begins. Transit work is processed first in,
//     first out: if x causes y1 then y2, and y1 causes z, the order is
//     x, y1, y2, z.
//
// Every pipe therefore sees emissions in one global order, and the
// emissions of one goroutine in the order it made them.
//
// Memory: nothing bounds the queue but the rate of the pipes; a burst that
// outruns them is held until they catch up. Drained buffers are kept for
// reuse up to a bound (retainCap job records, retainBytes of values per
// conduit lane); what a burst grew beyond it is released once drained.
type Circuit struct {
	cortex      *Cortex
	subject     Subject
	onPanic     func(subject Subject, recovered any)
	directAfter time.Duration // see DirectAfter
	done        chan struct{} // closed when the dispatch goroutine has stopped

	// g identifies the dispatch goroutine while it runs, 0 before and after;
	// busy is set while it is out of its wait. Emit reads both to tell
	// transit work from ingress.
	g    atomic.Uintptr
	busy atomic.Bool
	// dispatcher is the dispatch goroutine's id, which g returns to when
	// an emitter gives the circuit's place back.
	dispatcher uintptr

	// The ingress side, written by emitting goroutines. The pads keep it
	// and the dispatcher's side on separate cache lines, so that neither
	// pays for the other's writes.
	_        cacheLinePad
	mu       sync.Mutex
	wake     sync.Cond // signalled when work arrives for a sleeping dispatcher
	settled  sync.Cond // broadcast when a batch is done and someone awaits
	ingress  []job     // guarded by mu
	dirty    []swapper // guarded by mu: conduits with pending values
	admitted uint64    // guarded by mu: ingress jobs ever queued
	sleeping bool      // guarded by mu
	// idleSince is when the circuit last finished work: its goroutine went
	// to sleep, or an emitter gave its place back. Guarded by mu.
	idleSince time.Time
	direct    bool // guarded by mu: an emitter holds the circuit's place
	spinning  bool // guarded by mu: the dispatcher watches poked
	closed    bool // guarded by mu
	poked     atomic.Bool
	dropped   atomic.Uint64

	// The dispatcher's side. transit[transitNext:] is the transit work not
	// yet started; settling is set while it is being run. completed counts
	// ingress jobs done, transit work included; awaiting counts blocked
	// Await calls, so the dispatcher takes the lock to wake them only when
	// there are some. lastTake is when the dispatcher last took a batch and
	// gap the running average of the time between two, which size its
	// spin (see SpinFor).
	_           cacheLinePad
	batch       []job // ingress jobs taken from the queue, in order
	transit     []job
	transitNext int
	settling    bool
	spinFor     time.Duration
	lastTake    time.Time
	gap         time.Duration
	completed   atomic.Uint64
	awaiting    atomic.Int32
	panics      atomic.Uint64
	_           cacheLinePad
}

// cacheLinePad separates fields written by different goroutines; 128 bytes
// covers processors that fetch cache lines in pairs.
type cacheLinePad struct{ _ [128]byte }

// idleSpins is how many times an idle dispatcher yields, at least, before
// it sleeps: under a steady stream of emissions it then keeps its
// processor instead of waiting to be woken for every few items. SpinFor
// may keep it yielding longer.
const idleSpins = 64

// retainCap is the largest job buffer, in records, kept for reuse once
// drained.
const retainCap = 1 << 14

// job is a queue record: n units of work. Consecutive emissions on one
// conduit share a record (the conduit's lane holds their values in order),
// so a stream of emissions costs one record, not one each. A record holds a
// pointer in an interface and an int: queueing one allocates nothing.
type job struct {
	w work
	n int
}

// work is what a job runs: a conduit's lane, which delivers its next n
// values, or a task.
type work interface{ run(c *Circuit, n int) }

// swapper is a conduit whose values admitted since the last batch are
// moved to its dispatch lane when the dispatcher takes a batch.
type swapper interface{ swap() }

// task is control work (subscribing, announcing a channel, unsubscribing),
// never emission; it is queued as a job of its own and never merged.
type task func(c *Circuit)

func (t task) run(c *Circuit, _ int) { t(c) }

// CircuitOption configures a Circuit.
type CircuitOption func(*Circuit)

// OnPanic sets the function told of each panic recovered from a pipe or a
// subscriber, with the subject of the channel being served. It runs on the
// circuit's goroutine; a panic in it is swallowed. Without it, panics are
// only counted (see Circuit.Panics).
func OnPanic(f func(subject Subject, recovered any)) CircuitOption {
	return func(c *Circuit) { c.onPanic = f }
}

// DefaultDirectAfter is how long a circuit must have been idle before an
// emitter delivers to DirectFunc pipes itself, unless DirectAfter says
// otherwise.
const DefaultDirectAfter = 500 * time.Microsecond

// DirectAfter sets how long the circuit must have been idle — its goroutine
// asleep with nothing queued, and no batch delivered directly — before
// Channel.EmitAll hands a batch to DirectFunc pipes on the emitter's
// goroutine (see DirectFunc). A circuit idle that long is lightly loaded:
// delivering on the spot spares the batch the wake-up of the circuit's
// goroutine, one hand-off of two. Batches closer together than d go to the
// circuit's goroutine, which delivers them in parallel with the emitters;
// these then pay only for queueing. A negative d never delivers directly.
func DirectAfter(d time.Duration) CircuitOption {
	return func(c *Circuit) { c.directAfter = d }
}

// DefaultSpinFor is how long at most an idle dispatcher keeps watching for
// work before it sleeps, unless SpinFor says otherwise.
const DefaultSpinFor = 200 * time.Microsecond

// SpinFor sets how long at most the circuit's goroutine, out of work,
// keeps its processor, yielding it to any other ready goroutine while it
// watches for more, before it goes to sleep. It watches that long only
// while work has been coming at intervals shorter than d: for twice the
// average interval, up to d. Otherwise it yields 64 times, as it always
// does, then sleeps.
//
// Waking a sleeping circuit costs the emitter a few microseconds of
// processor time (on Linux, a futex call that wakes an idle processor) and
// the emission as much again in latency; a stream of batches closer
// together than d does not pay it. The price is the processor time spent
// watching: up to one processor while such a stream lasts. d <= 0 leaves
// only the 64 yields.
func SpinFor(d time.Duration) CircuitOption {
	return func(c *Circuit) { c.spinFor = d }
}

func newCircuit(cortex *Cortex, name Name, opts []CircuitOption) *Circuit {
	c := &Circuit{
		cortex:      cortex,
		subject:     cortex.subject(name, "circuit", Subject{}),
		done:        make(chan struct{}),
		directAfter: DefaultDirectAfter,
		spinFor:     DefaultSpinFor,
	}
	c.wake.L = &c.mu
	c.settled.L = &c.mu
	for _, o := range opts {
		o(c)
	}
	c.gap = c.spinFor // no long watch before work has come quickly
	return c
}

// Subject returns the circuit's subject (type "circuit").
func (c *Circuit) Subject() Subject { return c.subject }

// Panics returns how many panics the circuit has recovered from pipes and
// subscribers.
func (c *Circuit) Panics() uint64 { return c.panics.Load() }

// Dropped returns how many emissions were discarded because the circuit was
// closed. Emissions on a conduit nobody subscribes to are not queued, and
// not counted, whether the circuit is open or not.
func (c *Circuit) Dropped() uint64 { return c.dropped.Load() }

// Await blocks until everything queued before the call — emissions and
// whatever they cause in transit — has been processed. On a closed circuit
// it waits for the drain to finish. It allocates nothing. It panics if
// called on the circuit's own goroutine, where it could never return.
func (c *Circuit) Await() {
	if c.onCircuit() {
		panic("substrates: Await called on the circuit's own goroutine")
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return
	}
	target := c.admitted
	c.awaiting.Add(1)
	for c.completed.Load() < target {
		c.settled.Wait()
	}
	c.awaiting.Add(-1)
	c.mu.Unlock()
}

// Close stops the circuit: what was queued before is processed (with its
// transit work), then the goroutine stops; later emissions are dropped and
// counted. Close waits for the drain unless called on the circuit's own
// goroutine. It is idempotent.
func (c *Circuit) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.signal()
	}
	c.mu.Unlock()
	if c.onCircuit() {
		return
	}
	<-c.done
	c.cortex.forget(c)
}

// onCircuit reports whether the caller runs on the dispatch goroutine.
func (c *Circuit) onCircuit() bool {
	return c.busy.Load() && currentG() == c.g.Load()
}

// schedule queues a task in the circuit's order: as transit work on the
// dispatch goroutine, as ingress elsewhere. It reports false if the circuit
// is closed to ingress.
func (c *Circuit) schedule(t task) bool {
	if c.onCircuit() {
		c.transit = append(c.transit, job{t, 1})
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.ingress = append(c.ingress, job{t, 1})
	c.admitted++
	c.signal()
	return true
}

// admitValue queues the next value of lane l as ingress; mu is held and the
// value is already in the conduit's pending buffer.
func (c *Circuit) admitValue(l work) { c.admitValues(l, 1) }

// admitValues queues the next n values of lane l as ingress, like n calls
// of admitValue.
func (c *Circuit) admitValues(l work, n int) {
	// Comparing with a task, whose dynamic type differs, is false; two
	// tasks are never compared, which would panic.
	if k := len(c.ingress); k > 0 && c.ingress[k-1].w == l {
		c.ingress[k-1].n += n
	} else {
		c.ingress = append(c.ingress, job{l, n})
		c.admitted++
	}
	c.signal()
}

// transitValue queues the next value of lane l as transit work, merging it
// into the last record only if that one has not started.
func (c *Circuit) transitValue(l work) {
	if n := len(c.transit); n > c.transitNext && c.transit[n-1].w == l {
		c.transit[n-1].n++
		return
	}
	c.transit = append(c.transit, job{l, 1})
}

// takeOver gives the caller the circuit's place, if the circuit has been
// idle at least directAfter, its goroutine asleep with nothing queued:
// until giveBack, the caller's goroutine is the circuit's, and the
// dispatcher stays asleep. mu is held.
func (c *Circuit) takeOver() bool {
	if !c.sleeping || len(c.ingress) > 0 || c.direct || c.directAfter < 0 ||
		(c.directAfter > 0 && time.Since(c.idleSince) < c.directAfter) {
		return false
	}
	c.direct = true
	c.g.Store(currentG())
	c.busy.Store(true)
	return true
}

// giveBack returns the circuit's place to the dispatcher. Transit work the
// caller's pipes queued goes ahead of the ingress queued meanwhile, and
// wakes the dispatcher with it.
func (c *Circuit) giveBack() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rest := c.transit[c.transitNext:]; len(rest) > 0 {
		c.ingress = slices.Insert(c.ingress, 0, rest...)
		c.admitted += uint64(len(rest))
		clear(c.transit)
		c.transit, c.transitNext = recycle(c.transit), 0
	}
	c.busy.Store(false)
	c.g.Store(c.dispatcher)
	c.direct = false
	if c.directAfter > 0 {
		// A stream of batches closer together than directAfter is load
		// the circuit's goroutine serves better: the next one wakes it.
		c.idleSince = time.Now()
	}
	if len(c.ingress) > 0 || c.closed {
		c.signal()
	}
}

// signal wakes a sleeping or spinning dispatcher; mu is held. While an
// emitter holds the circuit's place, giveBack wakes it instead.
func (c *Circuit) signal() {
	switch {
	case c.direct:
	case c.sleeping:
		c.sleeping = false
		c.wake.Signal()
	case c.spinning:
		c.spinning = false
		c.poked.Store(true)
	}
}

// recovered counts a panic from user code serving subject and reports it.
func (c *Circuit) recovered(subject Subject, r any) {
	c.panics.Add(1)
	if c.onPanic == nil {
		return
	}
	defer func() { _ = recover() }()
	c.onPanic(subject, r)
}

// run is the dispatch goroutine: it takes the ingress queue a batch at a
// time and runs each job; lanes settle the transit work of each value
// before delivering the next (see lane.deliver), and settle here covers
// tasks.
func (c *Circuit) run() {
	defer close(c.done)
	c.dispatcher = currentG()
	c.g.Store(c.dispatcher)
	c.busy.Store(true)
	defer c.g.Store(0)
	for c.take() {
		for _, j := range c.batch {
			j.w.run(c, j.n)
			c.settle()
		}
		c.completed.Add(uint64(len(c.batch)))
		clear(c.batch)
		c.batch = recycle(c.batch)
		if c.awaiting.Load() > 0 {
			c.mu.Lock()
			c.settled.Broadcast()
			c.mu.Unlock()
		}
	}
}

// settle runs the transit work queued so far and all that it causes. Called
// while a settle further up the stack is running, it returns at once: that
// one reaches the new work in turn, which keeps transit first in, first out
// and the stack flat however long a cascade runs.
func (c *Circuit) settle() {
	if c.settling || len(c.transit) == 0 {
		return
	}
	c.settling = true
	for c.transitNext < len(c.transit) {
		j := c.transit[c.transitNext]
		c.transitNext++
		j.w.run(c, j.n)
	}
	clear(c.transit)
	c.transit, c.transitNext = recycle(c.transit), 0
	c.settling = false
}

// take waits for ingress and moves it, and every conduit's pending values,
// to the dispatcher's side in one step under the lock, so the order of the
// batch is the order of admission. It reports false once the circuit is
// closed and drained.
func (c *Circuit) take() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	spin := len(c.ingress) == 0 && runtime.GOMAXPROCS(0) > 1
	for len(c.ingress) == 0 {
		if c.closed {
			c.busy.Store(false)
			return false
		}
		if spin {
			spin = false
			c.spin()
			continue
		}
		c.busy.Store(false)
		c.sleeping = true
		if c.directAfter > 0 {
			c.idleSince = time.Now()
		}
		c.wake.Wait()
		c.busy.Store(true)
	}
	c.batch, c.ingress = c.ingress, c.batch
	if c.spinFor > 0 {
		now := time.Now()
		c.gap = (3*c.gap + min(now.Sub(c.lastTake), 2*c.spinFor)) / 4
		c.lastTake = now
	}
	for _, s := range c.dirty {
		s.swap()
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	return true
}

// spin yields the processor, without the lock, watching for ingress: 64
// times, or while work arriving as often as it has lately could come (see
// SpinFor); mu is held on entry and exit. Emitters poke the spinner once,
// instead of the spinner taking their lock on every turn.
func (c *Circuit) spin() {
	c.spinning = true
	c.poked.Store(false)
	c.mu.Unlock()
	var until time.Time
	if c.spinFor > 0 && c.gap < c.spinFor {
		until = c.lastTake.Add(min(2*c.gap, c.spinFor))
	}
	for i := 0; !c.poked.Load(); i++ {
		// Past the 64, the clock is read once every 16 turns.
		if i >= idleSpins && (until.IsZero() || i%16 == 0 && !time.Now().Before(until)) {
			break
		}
		runtime.Gosched()
	}
	c.mu.Lock()
	c.spinning = false
}

// recycle empties a drained buffer whose elements are already zeroed,
// keeping its storage unless a burst grew it past retainCap.
func recycle[T any](s []T) []T {
	if cap(s) > retainCap {
		return nil
	}
	return s[:0]
}
