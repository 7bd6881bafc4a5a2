package substrates

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Conduit hands out the Channels of one emission type E on a circuit, by
// Name, and lets Subscribers attach pipes to them. It is safe for concurrent
// use.
//
// Emitted values are copied into chunks the conduit owns and reuses, never
// boxed: while nobody subscribes, Emit is one atomic load; with subscribers,
// it copies E into the conduit's pending chunk and counts it on the job
// record at the tail of the circuit's queue (a new record only when the
// previous one is for another conduit), under the circuit's lock. It
// allocates only when a backlog outgrows the chunks kept for reuse.
// Channel.Hand queues a whole slice instead, without copying it.
type Conduit[E any] struct {
	circuit *Circuit
	subject Subject

	// listeners counts open subscriptions. Subscribe raises it before its
	// registration is queued, so no emission after Subscribe returns skips
	// the queue.
	listeners atomic.Int32
	// queued counts the registered pipes that are not DirectFuncs, which
	// only the circuit's goroutine may run. Written on that goroutine.
	queued atomic.Int32

	mu       sync.Mutex
	channels map[Name]*Channel[E] // guarded by mu

	// Ingress values not yet taken, written by emitters under circuit.mu,
	// on a cache line of their own, and the handed batches delivered and
	// given back for reuse (see Channel.Hand), also under circuit.mu.
	_       cacheLinePad
	pending values[E]
	spare   *handed[E]
	nspare  int

	// The dispatch goroutine's side: the values of the batch in hand, the
	// transit values, and the topology as the dispatcher sees it: channels
	// announced, by index (nil until announced), and subscribers attached,
	// in queue order.
	_     cacheLinePad
	in    lane[E]
	out   lane[E]
	chans []*Channel[E]
	subs  []*subscriber[E]
	_     cacheLinePad
}

// lane is a FIFO of a conduit's values, delivered by the jobs that stand
// for them: the circuit's queue keeps one global order without knowing E.
// Each conduit has two, owned by the dispatch goroutine: in, for the batch
// in hand, and out, for transit.
type lane[E any] struct {
	conduit *Conduit[E]
	q       values[E]

	// The delivery in progress: left values still to go after cur, and
	// the index of the pipe cur is being handed to. Kept here so that
	// delivery resumes with the next pipe after one panics.
	cur        entry[E]
	pipe       int
	left       int
	delivering bool
}

func (l *lane[E]) run(c *Circuit, n int) {
	l.left = n
	for !l.deliver(c) {
	}
	l.cur = entry[E]{}
}

// deliver hands the lane's next values to their channels' pipes, in
// registration order, settling the transit work each value causes before
// the next. A panicking pipe is reported and skipped: deliver then returns
// false and is called again to go on with the next pipe.
func (l *lane[E]) deliver(c *Circuit) (done bool) {
	defer func() {
		if p := recover(); p != nil {
			c.recovered(l.conduit.chans[l.cur.ch].subject, p)
			l.pipe++
		}
	}()
	for {
		if !l.delivering {
			if l.left == 0 {
				return true
			}
			l.left--
			l.cur = l.q.pop()
			l.pipe, l.delivering = 0, true
		}
		for pipes := l.conduit.chans[l.cur.ch].pipes; l.pipe < len(pipes); l.pipe++ {
			pipes[l.pipe].pipe.Emit(l.cur.v)
		}
		l.delivering = false
		c.settle()
	}
}

// swap moves the values admitted since the last batch to the in lane, which
// is drained by then and hands its chunks back for reuse. The circuit calls
// it under its lock.
func (cd *Conduit[E]) swap() { cd.in.q.takeAll(&cd.pending) }

// NewConduit returns a new Conduit of E on circuit c, called name.
func NewConduit[E any](c *Circuit, name string) *Conduit[E] {
	cd := &Conduit[E]{
		circuit:  c,
		subject:  c.cortex.subject(c.cortex.Name(name), "conduit", c.subject),
		channels: make(map[Name]*Channel[E]),
		pending:  newValues[E](),
	}
	cd.in = lane[E]{conduit: cd, q: newValues[E]()}
	cd.out = lane[E]{conduit: cd, q: newValues[E]()}
	return cd
}

// Subject returns the conduit's subject (type "conduit").
func (cd *Conduit[E]) Subject() Subject { return cd.subject }

// Subscribed reports whether the conduit has an open subscription, so that
// a caller can skip building a value nobody would receive. It is one atomic
// load, the same Emit makes; a Subscribe that has returned is counted.
func (cd *Conduit[E]) Subscribed() bool { return cd.listeners.Load() > 0 }

// Channel returns the conduit's channel called name, making it on first
// use; every call with the same name returns the same channel. A new
// channel is announced to the conduit's subscribers in queue order, before
// any emission on it.
func (cd *Conduit[E]) Channel(name string) *Channel[E] {
	n := cd.circuit.cortex.Name(name)
	cd.mu.Lock()
	defer cd.mu.Unlock()
	if ch := cd.channels[n]; ch != nil {
		return ch
	}
	ch := &Channel[E]{
		conduit: cd,
		subject: cd.circuit.cortex.subject(n, "channel", cd.subject),
		index:   uint32(len(cd.channels)),
	}
	cd.channels[n] = ch
	cd.circuit.schedule(task(func(c *Circuit) { cd.announce(c, ch) }))
	return ch
}

// Subscribe calls s for every channel of the conduit, now and later, and
// keeps the pipes it registers until the Subscription is closed.
//
// Subscribe takes effect in queue order: it is queued like an emission, so
// the subscription sees exactly the emissions queued after Subscribe
// returns and before its Close — nothing emitted before, even if still
// queued. Made on the circuit's goroutine, it takes effect after the work in
// hand.
func (cd *Conduit[E]) Subscribe(s Subscriber[E]) *Subscription {
	sub := &Subscription{}
	sr := &subscriber[E]{fn: s, sub: sub}
	cd.listeners.Add(1)
	sub.cancel = func() {
		cd.listeners.Add(-1)
		cd.circuit.schedule(task(func(*Circuit) { cd.detach(sr) }))
	}
	if !cd.circuit.schedule(task(func(c *Circuit) { cd.attach(c, sr) })) {
		sub.Close()
	}
	return sub
}

// attach runs on the dispatch goroutine: the subscriber joins and meets the
// channels announced so far.
func (cd *Conduit[E]) attach(c *Circuit, s *subscriber[E]) {
	cd.subs = append(cd.subs, s)
	for _, ch := range cd.chans {
		if ch != nil {
			s.offer(c, ch)
		}
	}
}

// announce runs on the dispatch goroutine: the channel joins and meets the
// subscribers attached so far. With attach it calls each subscriber once per
// channel, whichever was queued first.
func (cd *Conduit[E]) announce(c *Circuit, ch *Channel[E]) {
	if n := int(ch.index) + 1; n > len(cd.chans) {
		cd.chans = append(cd.chans, make([]*Channel[E], n-len(cd.chans))...)
	}
	cd.chans[ch.index] = ch
	for _, s := range cd.subs {
		s.offer(c, ch)
	}
}

// detach runs on the dispatch goroutine: the subscriber and its pipes leave.
func (cd *Conduit[E]) detach(s *subscriber[E]) {
	cd.subs = slices.DeleteFunc(cd.subs, func(x *subscriber[E]) bool { return x == s })
	for _, ch := range cd.chans {
		if ch == nil {
			continue
		}
		ch.pipes = slices.DeleteFunc(ch.pipes, func(r registration[E]) bool {
			if r.sub != s.sub {
				return false
			}
			if !r.direct {
				cd.queued.Add(-1)
			}
			return true
		})
	}
}

// subscriber is a Subscriber bound to its Subscription.
type subscriber[E any] struct {
	fn  Subscriber[E]
	sub *Subscription
}

// offer calls the subscriber for ch, containing a panic.
func (s *subscriber[E]) offer(c *Circuit, ch *Channel[E]) {
	r := &registrar[E]{ch: ch, sub: s.sub, live: true}
	defer func() {
		r.live = false
		if p := recover(); p != nil {
			c.recovered(ch.subject, p)
		}
	}()
	s.fn(ch.subject, r)
}

// Subscription is a Subscriber's hold on a conduit.
type Subscription struct {
	closed atomic.Bool
	cancel func()
}

// Close ends the subscription in queue order, like Subscribe: emissions
// queued before Close still reach its pipes, later ones do not. So once a
// Circuit.Await after Close returns (or at once, for a Close made on the
// circuit's goroutine, after the work in hand) no emission reaches them.
// Close is idempotent.
func (s *Subscription) Close() {
	if s.closed.CompareAndSwap(false, true) {
		s.cancel()
	}
}

// Channel is a named Pipe into a conduit: what is emitted on it goes, in
// the circuit's order, to the pipes the conduit's subscribers registered
// for it. It is safe for concurrent use.
type Channel[E any] struct {
	conduit *Conduit[E]
	subject Subject
	index   uint32            // position in the conduit, in order of making
	pipes   []registration[E] // dispatch goroutine only
}

// A Channel is the Pipe its emitters hold.
var _ Pipe[struct{}] = (*Channel[struct{}])(nil)

type registration[E any] struct {
	pipe   Pipe[E]
	sub    *Subscription
	direct bool // a DirectFunc
}

// Subject returns the channel's subject (type "channel", enclosed by the
// conduit's).
func (ch *Channel[E]) Subject() Subject { return ch.subject }

// Emit queues e for the channel's pipes and returns; it never waits for
// them. With no subscriber on the conduit it does nothing. After the circuit
// has closed, e is dropped and counted.
func (ch *Channel[E]) Emit(e E) {
	if ch.conduit.listeners.Load() == 0 {
		return
	}
	ch.conduit.emit(ch, e)
}

// EmitAll queues the values of es for the channel's pipes, in order, as
// Emit would one by one, and returns; it never waits for them. It takes
// the circuit's lock once for all of them, so a batch costs about one
// Emit plus a copy per value. es is copied; the caller may reuse it.
//
// When every pipe of the conduit is a DirectFunc and the circuit has been
// idle for a while (see DirectAfter), EmitAll instead takes the circuit's
// place for the batch: it hands the values to the pipes on its own
// goroutine, in the circuit's order (emissions from elsewhere meanwhile
// are queued behind the batch), then gives the circuit back and yields its
// processor once, so that a goroutine the pipes woke runs at once. What
// the pipes emit in transit is queued ahead of everything else rather than
// run on the emitter's goroutine. This spares the wake-up of the circuit's
// goroutine and a hop between goroutines: commit-to-receipt latency is one
// hand-off, not two.
func (ch *Channel[E]) EmitAll(es []E) {
	if len(es) == 0 || ch.conduit.listeners.Load() == 0 {
		return
	}
	cd := ch.conduit
	c := cd.circuit
	if c.onCircuit() {
		for i := range es {
			cd.out.q.push(entry[E]{es[i], ch.index})
			c.transitValue(&cd.out)
		}
		return
	}
	if !ch.lockIngress(es) {
		return
	}
	if cd.pending.head == nil {
		c.dirty = append(c.dirty, cd)
	}
	for i := range es {
		cd.pending.push(entry[E]{es[i], ch.index})
	}
	c.admitValues(&cd.in, len(es))
	c.mu.Unlock()
}

// lockIngress takes the circuit's lock for a batch es from outside the
// circuit and reports true, still holding it, if the caller is to queue
// es. Otherwise es is already dealt with and the lock released: dropped
// and counted, the circuit being closed, or delivered on the caller's
// goroutine, every pipe being a DirectFunc and the circuit idle.
func (ch *Channel[E]) lockIngress(es []E) bool {
	c := ch.conduit.circuit
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.dropped.Add(uint64(len(es)))
		return false
	}
	if ch.conduit.queued.Load() == 0 && c.takeOver() {
		c.mu.Unlock()
		for i, p := 0, 0; !ch.deliverAll(c, es, &i, &p, false); {
		}
		c.giveBack()
		// A goroutine the pipes woke (a subscriber's receiver, say) waits
		// on this one's processor for another to come and take it, which
		// on a busy machine can take longer than the emitter runs before it
		// next blocks: a whole transaction, for a store. Yielding runs it
		// now. The emitter only delivers directly after the circuit has been
		// idle a while, so this costs a light load, not a stream.
		runtime.Gosched()
		return false
	}
	return true
}

// deliverAll hands es[*i:] to the channel's pipes from pipe *p on, the way
// a lane delivers them, on a goroutine that holds the circuit's place: the
// dispatcher, which settles the transit work of each value before the
// next, or an emitter (see Circuit.takeOver), which leaves it queued for
// giveBack. A panicking pipe is reported and skipped: deliverAll then
// returns false and is called again to go on with the next.
func (ch *Channel[E]) deliverAll(c *Circuit, es []E, i, p *int, settle bool) (done bool) {
	defer func() {
		if r := recover(); r != nil {
			c.recovered(ch.subject, r)
			*p++
		}
	}()
	for ; *i < len(es); *i++ {
		for pipes := ch.pipes; *p < len(pipes); *p++ {
			pipes[*p].pipe.Emit(es[*i])
		}
		*p = 0
		if settle {
			c.settle()
		}
	}
	return true
}

// maxSpare bounds the handed batches a conduit keeps for reuse: enough for
// a writer that hands one batch while the dispatcher delivers the last.
const maxSpare = 4

// Hand queues the values of es for the channel's pipes, in order, like
// EmitAll, but hands over es itself instead of copying it: the circuit
// owns es until it has delivered it, and the caller must not touch it
// again. Hand returns an empty slice for the caller's next batch: one the
// circuit delivered and gave back earlier, or es's own storage when the
// values were delivered or dropped before Hand returned, or nil.
//
// A batch handed this way costs the emitter one lock and no copy,
// whatever its length, and the dispatcher reads the values where the
// emitter wrote them. Given back, a slice is cleared, so it holds on to
// nothing its values referenced; one that outgrew retainBytes is let go.
func (ch *Channel[E]) Hand(es []E) []E {
	if len(es) == 0 {
		return es
	}
	cd := ch.conduit
	c := cd.circuit
	if cd.listeners.Load() == 0 || c.onCircuit() {
		ch.EmitAll(es) // nothing, or a copy into the transit lane
		clear(es)
		return es[:0]
	}
	if !ch.lockIngress(es) { // delivered or dropped already
		clear(es)
		return es[:0]
	}
	h := cd.spare
	if h != nil {
		cd.spare, h.next = h.next, nil
		cd.nspare--
	} else {
		h = &handed[E]{}
	}
	next := h.vals
	h.ch, h.vals = ch, es
	c.ingress = append(c.ingress, job{h, 1})
	c.admitted++
	c.signal()
	c.mu.Unlock()
	return next
}

// handed is a batch of values queued by Channel.Hand, delivered in place
// as a job of its own. i and pipe are the delivery in progress, so that it
// resumes with the next pipe after one panics.
type handed[E any] struct {
	ch      *Channel[E]
	vals    []E
	i, pipe int
	next    *handed[E] // in the conduit's spare list
}

// run delivers the batch on the dispatch goroutine, then gives it back to
// the conduit for a later Hand.
func (h *handed[E]) run(c *Circuit, _ int) {
	for !h.ch.deliverAll(c, h.vals, &h.i, &h.pipe, true) {
	}
	clear(h.vals)
	cd := h.ch.conduit
	h.ch, h.i, h.pipe = nil, 0, 0
	var zero E
	if uintptr(cap(h.vals))*unsafe.Sizeof(zero) > retainBytes {
		h.vals = nil
	} else {
		h.vals = h.vals[:0]
	}
	c.mu.Lock()
	if cd.nspare < maxSpare {
		h.next, cd.spare = cd.spare, h
		cd.nspare++
	}
	c.mu.Unlock()
}

// emit copies e into a lane and queues a job record for it: in transit on
// the dispatch goroutine, without a lock; as ingress elsewhere. EmitAll
// does the same for a batch; the two stay apart because routing Emit
// through a one-value batch measured 0.6 → 1.8 ns with no subscriber (Emit
// no longer inlines) and 18 → 23.5 ns with one.
func (cd *Conduit[E]) emit(ch *Channel[E], e E) {
	c := cd.circuit
	if c.onCircuit() {
		cd.out.q.push(entry[E]{e, ch.index})
		c.transitValue(&cd.out)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.dropped.Add(1)
		return
	}
	if cd.pending.head == nil {
		c.dirty = append(c.dirty, cd)
	}
	cd.pending.push(entry[E]{e, ch.index})
	c.admitValue(&cd.in)
	c.mu.Unlock()
}
