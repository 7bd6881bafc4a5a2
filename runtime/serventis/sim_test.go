package serventis

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// fakeClock is a clock the test moves by hand; safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

var simEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *fakeClock) Now() time.Time          { return simEpoch.Add(time.Duration(c.ns.Load())) }
func (c *fakeClock) Set(t time.Duration)     { c.ns.Store(int64(t)) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// load gives the latency and outcome of an operation completing at t,
// simulated time since the run began.
type load func(rng *rand.Rand, t time.Duration) (time.Duration, bool)

// lognormal returns latencies with the given median and log-spread sigma
// (0.25 gives p95 ≈ 1.5 × median, 1.0 gives p95 ≈ 5 × median), failing at
// errorRate.
func lognormal(median time.Duration, sigma, errorRate float64) load {
	return func(rng *rand.Rand, _ time.Duration) (time.Duration, bool) {
		return time.Duration(float64(median) * math.Exp(sigma*rng.NormFloat64())), rng.Float64() < errorRate
	}
}

// healthy is the load of a well subject: 1 ms median, narrow spread, one
// failure in a thousand.
var healthy = lognormal(time.Millisecond, 0.25, 0.001)

// point is the status read at one slot boundary of a simulation.
type point struct {
	at     time.Duration
	status Status
	cause  Cause
}

// sim drives an Assessor with synthetic operations on a fake clock.
type sim struct {
	clock *fakeClock
	a     *Assessor
	rng   *rand.Rand
	rate  float64       // operations per second
	at    time.Duration // simulated time
	trace []point       // the status at every slot boundary

	// sample, if above 1, times one operation in sample and counts the
	// others without a duration, as a store does to save clock reads: the
	// failures at once, the successes gathered until the next timed one.
	sample  int
	n       int
	pending uint64
}

func newSim(seed uint64, rate float64, cfg AssessorConfig) *sim {
	clock := &fakeClock{}
	cfg.Clock = clock.Now
	return &sim{clock: clock, a: NewAssessor(cfg), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rate: rate}
}

// run drives operations of l, evenly spaced at s.rate, for d of simulated
// time, and records the status each time a slot turns. The clock is set
// only for the record; operations pass their time in, which keeps the
// scenario matrix quick under the race detector.
func (s *sim) run(d time.Duration, l load) {
	step := time.Duration(float64(time.Second) / s.rate)
	width := s.a.cfg.SlotWidth
	for end := s.at + d; s.at < end; {
		next := s.at + step
		if next/width != s.at/width {
			s.clock.Set(next / width * width)
			s.record(next / width * width)
		}
		s.at = next
		lat, failed := l(s.rng, s.at)
		// The simulated time is the assessor's: its clock started at 0.
		if s.n++; s.sample > 1 && s.n%s.sample != 0 {
			if failed {
				s.a.CountAt(int64(s.at), 1, 1)
			} else {
				s.pending++
			}
			continue
		}
		s.a.ObserveAt(int64(s.at), lat, failed)
		if s.pending > 0 {
			s.a.CountAt(int64(s.at), s.pending, 0)
			s.pending = 0
		}
	}
}

// idle lets d of simulated time pass without operations.
func (s *sim) idle(d time.Duration) {
	width := s.a.cfg.SlotWidth
	for end := s.at + d; s.at < end; {
		s.at = (s.at/width + 1) * width
		s.clock.Set(s.at)
		s.record(s.at)
	}
}

func (s *sim) record(at time.Duration) {
	snap := s.a.Snapshot()
	s.trace = append(s.trace, point{at, snap.Status, snap.Cause})
}

// first returns how long after from the condition was first judged to be
// one of want, and false if it never was.
func (s *sim) first(from time.Duration, want ...Condition) (time.Duration, bool) {
	for _, p := range s.trace {
		if p.at < from {
			continue
		}
		for _, w := range want {
			if p.status.Condition == w {
				return p.at - from, true
			}
		}
	}
	return 0, false
}
