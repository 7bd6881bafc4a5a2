package substrates

// Pipe receives emissions of type E.
type Pipe[E any] interface{ Emit(e E) }

// PipeFunc adapts a function to a Pipe.
type PipeFunc[E any] func(e E)

// Emit calls f(e).
func (f PipeFunc[E]) Emit(e E) { f(e) }

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
	r.ch.pipes = append(r.ch.pipes, registration[E]{p, r.sub})
}
