package serventis

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// AssessorConfig sets the windows and thresholds of an Assessor. A zero
// field takes the default given beside it; LatencyCeiling and AdaptAfter
// are switched off by a negative value. NewAssessor clamps slot counts into
// range (RecentSlots and DefectiveSlots to at most WindowSlots-1 and
// WindowSlots, WindowSlots to at most 64).
type AssessorConfig struct {
	// SlotWidth is the span of one slot of counters (100 ms). A slot is
	// judged once it closes, so it bounds how stale a Status can be.
	SlotWidth time.Duration
	// WindowSlots is how many closed slots make the window a Status is
	// judged on (10, one second at the default width).
	WindowSlots int
	// RecentSlots is how many of the newest closed slots make the recent
	// part of the window (3), on which onset, trend and recovery are read.
	RecentSlots int

	// MinSamples is how many operations a window needs for any judgement
	// but DOWN (20); with fewer the condition carries over, TENTATIVE.
	MinSamples int
	// DownMinSamples is how many operations (or attempts) the DOWN rule
	// needs (5).
	DownMinSamples int
	// ConfirmSamples is how many operations make a CONFIRMED judgement
	// possible (200), and how many the recent slots need to be judged on
	// their own.
	ConfirmSamples int

	// DownErrorRate is the error rate at or above which the subject is
	// DOWN (0.95); so is a subject whose successes are no more than
	// 1-DownErrorRate of the operations begun (see Begin).
	DownErrorRate float64
	// DefectiveErrorRate is the error rate at or above which persistent
	// failure makes the subject DEFECTIVE (0.2).
	DefectiveErrorRate float64
	// DefectiveSlots is how many consecutive newest slots must each reach
	// DefectiveErrorRate for the failure to count as persistent (5).
	DefectiveSlots int
	// ErrorRate is the error rate at or above which the subject is
	// DEGRADED (0.05).
	ErrorRate float64

	// LatencyCeiling is the p95 latency above which the subject is
	// DEGRADED whatever its baseline (100 ms).
	LatencyCeiling time.Duration
	// LatencyMultiplier is how many times its baseline the window's p95
	// (or its median) must reach for the subject to be DEGRADED (3).
	LatencyMultiplier float64
	// DivergeRatio is how many times the baseline p95 the window's p95
	// must reach, rising, for the subject to be DIVERGING (1.5).
	DivergeRatio float64
	// TrendRatio is by how much the recent p95 must exceed (or fall short
	// of) the older part of the window's to count as rising (or falling)
	// (0.02, two per cent).
	TrendRatio float64
	// ErraticSpread is how many times the baseline spread (p95 over
	// median, within a slot) the window's spread must reach for the
	// subject to be ERRATIC (2).
	ErraticSpread float64

	// BaselineWindow is the time constant over which the baseline latency
	// is learned from STABLE windows (60 s).
	BaselineWindow time.Duration
	// AdaptAfter is how long a latency-only condition (DIVERGING, ERRATIC,
	// or DEGRADED against the baseline) lasts before the latency it shows
	// is taken as the new baseline (5 min).
	AdaptAfter time.Duration

	// HoldFor is how long a condition must have held to be MEASURED
	// (500 ms).
	HoldFor time.Duration
	// ConfirmFor is how long a condition must have held to be CONFIRMED
	// (3 s).
	ConfirmFor time.Duration
	// SettleFor is how long CONVERGING lasts, on clean windows, before the
	// subject is STABLE again (500 ms).
	SettleFor time.Duration

	// Clock is the time source; nil means the process's monotonic clock,
	// read as time.Since, which costs about half a time.Now. The assessor
	// reads it only in Now, Begin, End, Observe, Status and Snapshot; tests
	// inject a fake.
	Clock func() time.Time
	// Epoch is the instant Now counts from; zero means when NewAssessor
	// ran. Assessors given one Epoch (and one SlotWidth) share a timeline:
	// a reading of one's Now may be passed to another's ObserveAt, CountAt
	// or AttemptAt, and their slots turn together.
	Epoch time.Time
	// Monitor, if set, is sent the Status each time it changes.
	Monitor Monitor
}

// maxWindowSlots bounds WindowSlots so that a window's per-slot figures fit
// in fixed arrays on the stack.
const maxWindowSlots = 64

// withDefaults fills zero fields and clamps the slot counts.
func (c AssessorConfig) withDefaults() AssessorConfig {
	def := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	deff := func(p *float64, d float64) {
		if *p == 0 {
			*p = d
		}
	}
	defi := func(p *int, d int) {
		if *p <= 0 {
			*p = d
		}
	}
	def(&c.SlotWidth, 100*time.Millisecond)
	defi(&c.WindowSlots, 10)
	defi(&c.RecentSlots, 3)
	defi(&c.MinSamples, 20)
	defi(&c.DownMinSamples, 5)
	defi(&c.ConfirmSamples, 200)
	deff(&c.DownErrorRate, 0.95)
	deff(&c.DefectiveErrorRate, 0.2)
	defi(&c.DefectiveSlots, 5)
	deff(&c.ErrorRate, 0.05)
	def(&c.LatencyCeiling, 100*time.Millisecond)
	deff(&c.LatencyMultiplier, 3)
	deff(&c.DivergeRatio, 1.5)
	deff(&c.TrendRatio, 0.02)
	deff(&c.ErraticSpread, 2)
	def(&c.BaselineWindow, time.Minute)
	def(&c.AdaptAfter, 5*time.Minute)
	def(&c.HoldFor, 500*time.Millisecond)
	def(&c.ConfirmFor, 3*time.Second)
	def(&c.SettleFor, 500*time.Millisecond)
	c.WindowSlots = min(max(c.WindowSlots, 2), maxWindowSlots)
	c.RecentSlots = min(c.RecentSlots, c.WindowSlots-1)
	c.DefectiveSlots = min(c.DefectiveSlots, c.WindowSlots)
	return c
}

// Assessor judges the Status of one subject — a store, a backend — from the
// latency and outcome of its operations.
//
// # Counting
//
// Operations are counted into a ring of time slots (SlotWidth each): per
// slot a log-scale latency histogram, the summed latency, the failures and
// the attempts, all atomic counters. Counting a successful operation is two
// atomic adds (a failed one three) and takes no lock, allocates nothing and
// scans nothing. An operation that completes exactly while its slot is
// being recycled may go uncounted; a window is a statistic, not a ledger.
//
// A caller that cannot afford to time every operation times a sample of
// them (ObserveAt) and counts the rest without a duration (CountAt), which
// it may gather and count several at a time: error rates and rates of
// operations are then judged on every operation, and latency on the timed
// ones, which must be chosen without regard to how long they take.
// Attempts may be sampled too, each counted attempt standing for several
// (AttemptAt).
//
// When the first operation of a new slot arrives (or Status is asked after
// the slot has turned), the window — the WindowSlots closed slots — is
// judged: the two newest slots are read from their counters, the older ones
// from digests kept since, and the rules below are applied. That is about a
// microsecond, once per slot, by whichever caller turned it and never by two
// at a time; Status and Snapshot return the judgement.
//
// # Rules
//
// The window's newest RecentSlots slots are its recent part, which shows
// onset, trend and recovery first. The rules, in order:
//
//  1. Recovery: after anything but STABLE, if the recent part alone holds
//     ConfirmSamples operations and is healthy (errors under ErrorRate,
//     latency within the DIVERGING and ERRATIC bounds), CONVERGING — then
//     STABLE once CONVERGING has held SettleFor and the whole window is
//     healthy.
//  2. DOWN: the error rate of the window, or of the recent part, reaches
//     DownErrorRate on DownMinSamples operations or more; or
//     DownMinSamples operations or more were begun and no more than
//     1-DownErrorRate of them succeeded.
//  3. With fewer than MinSamples operations the condition carries over,
//     TENTATIVE (a CONVERGING one turns STABLE after SettleFor).
//  4. DEFECTIVE: each of the newest DefectiveSlots slots with operations
//     fails at DefectiveErrorRate or more.
//  5. DEGRADED: the error rate of the window (or of the recent part, on
//     ConfirmSamples operations) reaches ErrorRate; or p95 latency exceeds
//     LatencyCeiling; or the median is LatencyMultiplier times its
//     baseline.
//  6. ERRATIC: the spread — p95 over median within each slot, the median
//     over the slots — of the window or of the recent part is
//     ErraticSpread times its baseline. Within a slot, so that a change of
//     level is not taken for spread.
//  7. DEGRADED: p95 is LatencyMultiplier times its baseline.
//  8. At or above DivergeRatio times the baseline p95: DIVERGING if p95 is
//     rising (the recent part's against the older part's, by TrendRatio)
//     or, after DIVERGING, not falling; CONVERGING if falling after a
//     worse condition; STABLE if it was STABLE and is not rising, so that
//     the baseline follows a slow drift.
//  9. Otherwise STABLE, after CONVERGING for SettleFor when coming back
//     from anything else.
//
// The latency parts of rule 5 and rules 6 to 8 are passed over while the
// window holds fewer than MinSamples timed operations (see CountAt).
//
// Rules 6 to 8 need a baseline: the median, p95 and spread of STABLE
// windows, averaged over the first full window and then exponentially with
// time constant BaselineWindow. Any other condition freezes it, so a fault
// is not learned as normal; a latency-only condition (DIVERGING, ERRATIC,
// DEGRADED against the baseline) that lasts AdaptAfter becomes the new
// baseline.
//
// Confidence is TENTATIVE while the window holds fewer than MinSamples
// operations or the condition has held less than HoldFor; CONFIRMED once it
// holds ConfirmSamples and the condition has held ConfirmFor; MEASURED in
// between.
//
// An Assessor is safe for concurrent use.
type Assessor struct {
	cfg   AssessorConfig
	epoch time.Time // Now() counts nanoseconds from here on the clock
	width int64     // SlotWidth in nanoseconds
	ring  []slot    // a power of two longer than the window
	mask  int64

	cur      atomic.Int64  // newest slot opened
	assessed atomic.Int64  // slot at which the last judgement was made
	status   atomic.Uint32 // that judgement, packed

	mu    sync.Mutex // serialises judging; guards state
	state judgement
}

// slot holds the counters of one SlotWidth of time. The timed operations
// are not counted apart: they are the sum of the buckets, which saves the
// hot path an add; untimed ones (CountAt) are.
type slot struct {
	idx      atomic.Int64 // which slot of time the counters belong to
	sum      atomic.Uint64
	failed   atomic.Uint64
	attempts atomic.Uint64
	untimed  atomic.Uint64
	buckets  [numBuckets]atomic.Uint32
}

// reset empties the slot and gives it to slot i; counters first, so an
// operation that sees idx == i counts into an empty slot. Most buckets are
// already zero, and a load is much cheaper than an atomic store.
func (s *slot) reset(i int64) {
	s.sum.Store(0)
	s.failed.Store(0)
	s.attempts.Store(0)
	s.untimed.Store(0)
	for b := range s.buckets {
		if s.buckets[b].Load() != 0 {
			s.buckets[b].Store(0)
		}
	}
	s.idx.Store(i)
}

// NewAssessor returns an Assessor with cfg (zero fields take their
// defaults), STABLE and TENTATIVE until it has seen enough.
func NewAssessor(cfg AssessorConfig) *Assessor {
	cfg = cfg.withDefaults()
	n := 1
	for n < cfg.WindowSlots+1 { // the window plus the open slot
		n <<= 1
	}
	a := &Assessor{
		cfg:   cfg,
		epoch: cfg.Epoch,
		width: int64(cfg.SlotWidth),
		ring:  make([]slot, n),
		mask:  int64(n - 1),
	}
	a.state.digests = make([]digest, n)
	for i := range a.ring {
		a.ring[i].idx.Store(math.MinInt64)
		a.state.digests[i].idx = math.MinInt64
	}
	switch {
	case !cfg.Epoch.IsZero():
	case cfg.Clock != nil:
		a.epoch = cfg.Clock()
	default:
		a.epoch = time.Now()
	}
	a.ring[0].idx.Store(0)
	a.state.condition = Stable
	a.status.Store(pack(Status{Stable, Tentative}))
	// Until the first window is judged, Snapshot says what Status says.
	a.state.snapshot = Snapshot{Status: Status{Stable, Tentative}, Cause: CauseIdle, Since: a.epoch, At: a.epoch}
	return a
}

// Config returns the configuration in effect, defaults filled in.
func (a *Assessor) Config() AssessorConfig { return a.cfg }

// Now returns the time on the assessor's clock, in nanoseconds since the
// assessor was made: the unit of ObserveAt and Begin.
func (a *Assessor) Now() int64 {
	if a.cfg.Clock != nil {
		return int64(a.cfg.Clock().Sub(a.epoch))
	}
	return int64(time.Since(a.epoch))
}

// Begin counts an attempted operation and returns its start time for End.
// Attempts let the assessor tell a subject that hangs (operations begun,
// none completing) from an idle one.
func (a *Assessor) Begin() int64 {
	now := a.Now()
	a.AttemptAt(now, 1)
	return now
}

// AttemptAt counts n attempted operations begun at now (from Now): a caller
// that samples which attempts it counts passes the size of its sample's
// period, so that attempts and completions stay comparable.
func (a *Assessor) AttemptAt(now int64, n uint64) {
	if s := a.slotFor(now); s != nil {
		s.attempts.Add(n)
	}
}

// End counts the operation begun at start as completed now, failed or not,
// and returns its duration. With Begin it reads the clock twice per
// operation, which timing the operation needs anyway.
func (a *Assessor) End(start int64, failed bool) time.Duration {
	now := a.Now()
	d := time.Duration(now - start)
	a.ObserveAt(now, d, failed)
	return d
}

// Observe counts an operation that took d and has just completed.
func (a *Assessor) Observe(d time.Duration, failed bool) { a.ObserveAt(a.Now(), d, failed) }

// ObserveAt counts an operation that took d and completed at now (from
// Now). It is the hot path: two or three atomic adds into the slot of now,
// and, once per slot, turning the ring and judging the window.
func (a *Assessor) ObserveAt(now int64, d time.Duration, failed bool) {
	s := a.slotFor(now)
	if s == nil {
		return
	}
	s.buckets[bucketOf(d)].Add(1)
	s.sum.Add(uint64(max(d, 0)))
	if failed {
		s.failed.Add(1)
	}
}

// CountAt counts n operations that completed at now (from Now) without a
// measured duration, failed of which failed: they weigh in the rate of
// operations and of errors, not in the latency figures. A caller may
// gather the operations of a short span (well under a slot) and count them
// at once.
func (a *Assessor) CountAt(now int64, n, failed uint64) {
	s := a.slotFor(now)
	if s == nil {
		return
	}
	s.untimed.Add(n)
	if failed > 0 {
		s.failed.Add(failed)
	}
}

// slotFor returns the slot counting time now, turning the ring to it if it
// is new, or nil if now is too old for the ring (or its slot is being
// recycled at this very moment).
func (a *Assessor) slotFor(now int64) *slot {
	i := max(now, 0) / a.width
	s := &a.ring[i&a.mask]
	if s.idx.Load() == i {
		return s
	}
	a.turn(i)
	if s.idx.Load() != i {
		return nil
	}
	return s
}

// turn opens slot i if it is newer than the current one: the caller that
// wins the race recycles the slots between, then judges the window that
// just closed unless someone else is judging.
func (a *Assessor) turn(i int64) {
	for {
		cur := a.cur.Load()
		if i <= cur {
			return
		}
		if a.cur.CompareAndSwap(cur, i) {
			// Slot i first: operations of slot i that arrive meanwhile
			// are dropped until it is ready.
			for j := i; j > cur && j >= i-a.mask; j-- {
				a.ring[j&a.mask].reset(j)
			}
			if a.mu.TryLock() {
				a.judge(i)
				a.mu.Unlock()
			}
			return
		}
	}
}

// refresh brings the judgement up to the clock: it turns the ring to the
// current slot and judges it if the turn did not.
func (a *Assessor) refresh() {
	a.turn(max(a.Now(), 0) / a.width)
	if a.cur.Load() > a.assessed.Load() {
		a.mu.Lock()
		a.judge(a.cur.Load())
		a.mu.Unlock()
	}
}

// Status returns the subject's status as judged on the last closed window.
// It reads the clock; if a slot has closed since the last judgement it
// judges the window now (about a microsecond), otherwise it is a few
// atomic loads.
func (a *Assessor) Status() Status {
	a.refresh()
	return unpack(a.status.Load())
}

// Snapshot returns the status together with the figures it was judged on.
func (a *Assessor) Snapshot() Snapshot {
	a.refresh()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state.snapshot
}

// Snapshot is a judgement and the figures behind it, for reports such as a
// DB's performance figures. The percentiles are read from the histogram and
// are accurate to about a tenth; the average is exact over the timed
// operations.
type Snapshot struct {
	Status Status
	Cause  Cause
	// Since is when the condition began to hold.
	Since time.Time
	// At is the end of the window judged.
	At time.Time
	// Window is the span of the window: WindowSlots × SlotWidth, less
	// just after the assessor was made.
	Window time.Duration

	Samples      uint64  // operations completed in the window
	Timed        uint64  // of which timed: the latency figures' sample
	Errors       uint64  // of which failed
	Attempts     uint64  // operations begun in the window (counted by Begin)
	ErrorRate    float64 // Errors / Samples
	OpsPerSecond float64 // Samples / Window

	AvgLatency time.Duration
	P50Latency time.Duration
	P95Latency time.Duration
	P99Latency time.Duration
	// BaselineP95 is the p95 latency the assessor has learned as normal;
	// zero until it has learned one.
	BaselineP95 time.Duration
}

// pack and unpack keep a Status in one atomic word.
func pack(s Status) uint32   { return uint32(s.Condition) | uint32(s.Confidence)<<8 }
func unpack(v uint32) Status { return Status{Condition(v), Confidence(v >> 8)} }
