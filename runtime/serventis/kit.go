package serventis

import "github.com/synapsed/storegen/runtime/substrates"

// Kit holds the six conduits of the Serventis vocabularies on one circuit
// and hands out their instruments by name. Subscribe to a conduit to see
// what every instrument of its kind emits, in the circuit's order. A Kit is
// safe for concurrent use.
//
// An instrument wraps the conduit's channel of its name. Substrates makes
// each channel once, so a name always yields an equal instrument; the name
// must be a valid substrates path (dot-separated, no empty part) or the
// lookup panics. Look instruments up once, when a store or backend is set
// up, and keep them: the lookup takes a lock, emission does not.
type Kit struct {
	services  *substrates.Conduit[Signal]
	monitors  *substrates.Conduit[Status]
	reporters *substrates.Conduit[Situation]
	probes    *substrates.Conduit[Observation]
	resources *substrates.Conduit[ResourceSignal]
	queues    *substrates.Conduit[QueueSignal]
}

// NewKit makes the conduits "services", "monitors", "reporters", "probes",
// "resources" and "queues" on c.
func NewKit(c *substrates.Circuit) *Kit {
	return &Kit{
		services:  substrates.NewConduit[Signal](c, "services"),
		monitors:  substrates.NewConduit[Status](c, "monitors"),
		reporters: substrates.NewConduit[Situation](c, "reporters"),
		probes:    substrates.NewConduit[Observation](c, "probes"),
		resources: substrates.NewConduit[ResourceSignal](c, "resources"),
		queues:    substrates.NewConduit[QueueSignal](c, "queues"),
	}
}

// Service returns the Service called name.
func (k *Kit) Service(name string) Service {
	return Service{instrument[Signal]{k.services.Channel(name)}}
}

// Monitor returns the Monitor called name.
func (k *Kit) Monitor(name string) Monitor {
	return Monitor{instrument[Status]{k.monitors.Channel(name)}}
}

// Reporter returns the Reporter called name.
func (k *Kit) Reporter(name string) Reporter {
	return Reporter{instrument[Situation]{k.reporters.Channel(name)}}
}

// Probe returns the Probe called name.
func (k *Kit) Probe(name string) Probe { return Probe{instrument[Observation]{k.probes.Channel(name)}} }

// Resource returns the Resource called name.
func (k *Kit) Resource(name string) Resource {
	return Resource{instrument[ResourceSignal]{k.resources.Channel(name)}}
}

// Queue returns the Queue called name.
func (k *Kit) Queue(name string) Queue { return Queue{instrument[QueueSignal]{k.queues.Channel(name)}} }

// Services returns the conduit of every Service's signals.
func (k *Kit) Services() *substrates.Conduit[Signal] { return k.services }

// Monitors returns the conduit of every Monitor's statuses.
func (k *Kit) Monitors() *substrates.Conduit[Status] { return k.monitors }

// Reporters returns the conduit of every Reporter's situations.
func (k *Kit) Reporters() *substrates.Conduit[Situation] { return k.reporters }

// Probes returns the conduit of every Probe's observations.
func (k *Kit) Probes() *substrates.Conduit[Observation] { return k.probes }

// Resources returns the conduit of every Resource's signals.
func (k *Kit) Resources() *substrates.Conduit[ResourceSignal] { return k.resources }

// Queues returns the conduit of every Queue's signals.
func (k *Kit) Queues() *substrates.Conduit[QueueSignal] { return k.queues }

// instrument is what every instrument is: the channel it emits on, nil in
// the zero instrument, which emits nothing.
type instrument[E any] struct{ ch *substrates.Channel[E] }

// Subject returns the subject of the instrument's channel; the zero
// instrument has none.
func (i instrument[E]) Subject() substrates.Subject {
	if i.ch == nil {
		return substrates.Subject{}
	}
	return i.ch.Subject()
}

// emit emits e; it neither allocates nor waits.
func (i instrument[E]) emit(e E) {
	if i.ch != nil {
		i.ch.Emit(e)
	}
}
