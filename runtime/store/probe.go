package store

import (
	"sync/atomic"
	"time"

	"github.com/synapsed/storegen/runtime/serventis"
)

// Probe watches the network between a remote backend and its server. It
// counts the backend's round trips, emits each as a Serventis Probe
// observation and judges the network's Status from them, apart from the
// backend's (whose operations are the stores'); the DB's Situation and
// Resources take it into account.
//
// The redis and etcd engines call a function after every round trip (their
// OnRoundTrip options); RoundTrip is that function. Make the Probe first,
// since the backend is opened before the DB:
//
//	probe := store.NewProbe("etcd")
//	b, err := etcd.Open(ctx, endpoints, etcd.OnRoundTrip(probe.RoundTrip))
//	...
//	db, err := store.Open(b, store.WithProbe(probe))
//
// Round trips made before Open are counted but not judged. A Probe serves
// one DB; it is safe for concurrent use.
type Probe struct {
	name    string
	trips   atomic.Uint64
	fails   atomic.Uint64
	latency latencyCounts
	sink    atomic.Pointer[probeSink]
}

// probeSink is where a Probe attached to a DB sends what it sees.
type probeSink struct {
	db    *DB
	a     *serventis.Assessor
	probe serventis.Probe
}

// NewProbe returns a Probe called name (letters, digits and '_'), which
// names its instrument "network.<name>" on the DB's Kit. It panics on an
// invalid name.
func NewProbe(name string) *Probe {
	if err := validName(name); err != nil {
		panic(err)
	}
	return &Probe{name: name}
}

// WithProbe attaches p to the DB. Without monitoring (WithMonitoring(false))
// it only counts.
func WithProbe(p *Probe) Option { return func(db *DB) { db.probe = p } }

// Name returns the probe's name.
func (p *Probe) Name() string { return p.name }

// RoundTrip reports one exchange with the server, which took d and failed
// with err (nil on success). It is emitted as a RECEIVE observation —
// SUCCEED or FAIL, this side's (RELEASE) — and judged with the other round
// trips. It neither allocates nor waits.
func (p *Probe) RoundTrip(d time.Duration, err error) {
	p.trips.Add(1)
	failed := err != nil
	if failed {
		p.fails.Add(1)
	}
	p.latency.observe(d, 1)
	s := p.sink.Load()
	if s == nil {
		return
	}
	s.a.ObserveAt(s.db.now(), d, failed)
	if failed {
		s.probe.Fail(serventis.OperationReceive)
	} else {
		s.probe.Succeed(serventis.OperationReceive)
	}
}

// attach makes db the probe's destination: Open calls it with monitoring
// on.
func (p *Probe) attach(db *DB) {
	p.sink.Store(&probeSink{db: db, a: db.newAssessor(networkName), probe: db.kit.Probe(networkName + "." + p.name)})
	db.mon.probe = p
}

// networkName names the network's Monitor.
const networkName = "network"

// status returns the network's Status, and false when the probe is not
// judged.
func (p *Probe) status() (serventis.Status, bool) {
	if s := p.sink.Load(); s != nil {
		return s.a.Status(), true
	}
	return unmonitored, false
}

// ProbeCounters are a Probe's counts.
type ProbeCounters struct {
	// Name is the probe's name; empty when the DB has none.
	Name string
	// RoundTrips counts the exchanges reported, Errors those that failed.
	RoundTrips, Errors uint64
	// Latency is the histogram of every round trip's duration.
	Latency LatencyCounts
	// Status is the network's, as judged from the round trips.
	Status serventis.Status
}

func (p *Probe) counters() ProbeCounters {
	st, _ := p.status()
	return ProbeCounters{Name: p.name, RoundTrips: p.trips.Load(), Errors: p.fails.Load(), Latency: p.latency.read(), Status: st}
}
