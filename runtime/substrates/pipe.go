package substrates

// Pipe receives emissions of type E.
type Pipe[E any] interface{ Emit(e E) }

// PipeFunc adapts a function to a Pipe.
type PipeFunc[E any] func(e E)

// Emit calls f(e).
func (f PipeFunc[E]) Emit(e E) { f(e) }

// DirectFunc is a PipeFunc that may run on the goroutine of the emitter
// instead of the circuit's: it promises never to block or wait, to be safe
// to call from any goroutine (one call at a time, in the circuit's order),
// and not to call Await. When every pipe on a conduit is a DirectFunc and
// the circuit has been idle for a while, Channel.EmitAll hands its values
// to the pipes itself, sparing the wake-up of the circuit's goroutine and a
// hand-off between goroutines; see Channel.EmitAll and DirectAfter.
type DirectFunc[E any] func(e E)

// Emit calls f(e).
func (f DirectFunc[E]) Emit(e E) { f(e) }

// Subscriber is called on the circuit's goroutine once for each channel of
// the conduit it subscribes to — those that exist and those made later —
// with the channel's subject and a Registrar that attaches pipes to that
// channel for the subscription.
type Subscriber[E any] func(subject Subject, r Registrar[E])

// Registrar attaches pipes to one channel for one subscription. It is valid
// only during the Subscriber call it was passed to, on the circuit's
// goroutine; Register panics afterwards.
type Registrar[E any] interface {
	// Register makes p receive the channel's emissions, after the pipes
	// registered before it, until the subscription is closed.
	Register(p Pipe[E])
}

type registrar[E any] struct {
	ch   *Channel[E]
	sub  *Subscription
	live bool
}

func (r *registrar[E]) Register(p Pipe[E]) {
	if !r.live {
		panic("substrates: Register called after the subscriber returned")
	}
	if p == nil {
		panic("substrates: Register of a nil pipe")
	}
	_, direct := p.(DirectFunc[E])
	if !direct {
		r.ch.conduit.queued.Add(1)
	}
	r.ch.pipes = append(r.ch.pipes, registration[E]{p, r.sub, direct})
}
