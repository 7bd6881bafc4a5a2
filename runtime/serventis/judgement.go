package serventis

import (
	"math"
	"slices"
	"time"
)

// Cause is why an Assessor judged the condition it did.
type Cause uint8

// The causes of a judgement.
const (
	CauseNone      Cause = iota // STABLE on enough evidence
	CauseIdle                   // too few operations to judge: the condition carried over
	CauseErrors                 // the error rate
	CauseNoSuccess              // operations begun and (almost) none succeeded
	CauseLatency                // p95 latency above LatencyCeiling
	CauseBaseline               // latency a multiple of its baseline
	CauseSpread                 // latency spread a multiple of its baseline
	CauseTrend                  // latency rising past its baseline
	CauseRecovery               // moving back to normal after an earlier condition
)

var causeNames = []string{"NONE", "IDLE", "ERRORS", "NO_SUCCESS", "LATENCY", "BASELINE", "SPREAD", "TREND", "RECOVERY"}

// String returns the upper-case name, such as "ERRORS".
func (c Cause) String() string { return nameOf(causeNames, "Cause", c) }

// MarshalText returns the name.
func (c Cause) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// judgement is what an Assessor carries from one window to the next.
type judgement struct {
	condition Condition
	since     int64 // slot at which condition began to hold
	base      baseline
	snapshot  Snapshot
	digests   []digest // by slot, like the ring
}

// baseline is the latency the assessor has learned as normal, in
// nanoseconds, and how many slots of STABLE windows it was learned from.
type baseline struct {
	p50, p95, spread float64
	slots            int64
}

// digest is a closed slot's counters as read for a judgement. A slot is
// read afresh while it is one of the freshSlots newest closed ones, in case
// an operation that completed before the turn is still counting into it;
// after that its digest is kept, so that a judgement reads a couple of
// slots rather than the whole window.
type digest struct {
	idx                    int64
	n, errs, attempts, sum uint64
	timed                  uint64 // of n, those in the histogram
	span                   span
	spread                 float64 // the slot's own p95/p50; 0 with under slotSpreadSamples operations
	h                      histogram[uint32]
}

// freshSlots is how many of the newest closed slots are read afresh at
// every judgement.
const freshSlots = 2

// slotSpreadSamples is how many operations a slot needs for its own
// spread to be read.
const slotSpreadSamples = 32

// read takes the digest of slot j from s; a slot the ring no longer (or
// never) held for j reads as empty.
func (d *digest) read(s *slot, j int64) {
	*d = digest{idx: j, span: noSpan}
	if s.idx.Load() != j {
		return
	}
	for b := range s.buckets {
		if v := s.buckets[b].Load(); v != 0 {
			d.h[b] = v
			d.timed += uint64(v)
			d.span = d.span.union(span{b, b + 1})
		}
	}
	d.n = d.timed + s.untimed.Load()
	d.errs = min(s.failed.Load(), d.n) // a failure may be counted before its bucket
	d.attempts = s.attempts.Load()
	d.sum = s.sum.Load()
	if d.timed >= slotSpreadSamples {
		if q := quantilesOf(&d.h, d.span, d.timed); q.p50 > 0 {
			d.spread = q.p95 / q.p50
		}
	}
}

// part is the figures of some slots of a window: the recent ones, the older
// ones, or all.
type part struct {
	n, errs, attempts, sum uint64
	timed                  uint64 // of n, those in the histogram
	h                      histogram[uint64]
	span                   span
	q                      quantiles
	// spreads holds the spreads of the slots that have one, so that a
	// change of level across slots is not taken for spread.
	spreads [maxWindowSlots]float64
	nspread int
	active  int // slots with any operation
	spread  float64
}

func (p *part) errorRate() float64 {
	if p.n == 0 {
		return 0
	}
	return float64(p.errs) / float64(p.n)
}

// count adds a slot's digest to p.
func (p *part) count(d *digest) {
	p.n += d.n
	p.timed += d.timed
	p.errs += d.errs
	p.attempts += d.attempts
	p.sum += d.sum
	if d.n == 0 {
		return
	}
	p.active++
	for b := d.span.lo; b < d.span.hi; b++ {
		p.h[b] += uint64(d.h[b])
	}
	p.span = p.span.union(d.span)
	if d.spread > 0 {
		p.spreads[p.nspread] = d.spread
		p.nspread++
	}
}

// add merges the figures of o into p.
func (p *part) add(o *part) {
	p.n += o.n
	p.timed += o.timed
	p.errs += o.errs
	p.attempts += o.attempts
	p.sum += o.sum
	for b := o.span.lo; b < o.span.hi; b++ {
		p.h[b] += o.h[b]
	}
	p.span = p.span.union(o.span)
	p.nspread += copy(p.spreads[p.nspread:], o.spreads[:o.nspread])
	p.active += o.active
}

// finish computes the quantiles and the spread: the median of the slots'
// own spreads if at least half the active slots have one, else the spread
// of the part as a whole.
func (p *part) finish() {
	p.q = quantilesOf(&p.h, p.span, p.timed)
	if p.nspread > 0 && 2*p.nspread >= p.active {
		s := p.spreads[:p.nspread]
		slices.Sort(s)
		p.spread = s[len(s)/2]
		return
	}
	if p.q.p50 > 0 {
		p.spread = p.q.p95 / p.q.p50
	}
}

// window is the figures of the WindowSlots closed before a judgement.
type window struct {
	recent, older, all part
	// badTail counts the newest slots, back to the first that is not,
	// whose error rate reaches DefectiveErrorRate; empty slots are passed
	// over.
	badTail int
}

// measure reads the closed slots before slot i into w. a.mu is held.
func (a *Assessor) measure(i int64, w *window) {
	c := &a.cfg
	w.recent.span, w.older.span, w.all.span = noSpan, noSpan, noSpan
	tail := true
	for k := 1; k <= c.WindowSlots && i-int64(k) >= 0; k++ {
		j := i - int64(k)
		d := &a.state.digests[j&a.mask]
		if k <= freshSlots || d.idx != j {
			d.read(&a.ring[j&a.mask], j)
		}
		p := &w.older
		if k <= c.RecentSlots {
			p = &w.recent
		}
		p.count(d)
		if d.n == 0 {
			continue
		}
		if tail && float64(d.errs) >= c.DefectiveErrorRate*float64(d.n) {
			w.badTail++
		} else {
			tail = false
		}
	}
	w.all.add(&w.recent)
	w.all.add(&w.older)
	w.recent.finish()
	w.older.finish()
	w.all.finish()
}

// judge judges the window closed before slot i, if it is newer than the
// last one judged, and publishes the Status. a.mu is held.
func (a *Assessor) judge(i int64) {
	last := a.assessed.Load()
	if i <= last {
		return
	}
	c, st := &a.cfg, &a.state
	var w window
	a.measure(i, &w)

	condition, cause := a.classify(&w, time.Duration((i-st.since)*a.width))
	if condition != st.condition {
		st.condition, st.since = condition, i
	}
	held := time.Duration((i - st.since) * a.width)
	evidence := max(w.all.n, w.all.attempts)
	confidence := Measured
	switch {
	case cause == CauseIdle || evidence < uint64(c.MinSamples) || held < c.HoldFor:
		confidence = Tentative
	case evidence >= uint64(c.ConfirmSamples) && held >= c.ConfirmFor:
		confidence = Confirmed
	}

	switch {
	case condition == Stable && cause == CauseNone:
		a.learn(&w.all, min(i-last, int64(c.WindowSlots)))
	case c.AdaptAfter > 0 && held >= c.AdaptAfter && adaptable(condition, cause):
		// A latency shift that lasts is the new normal.
		st.base.p50, st.base.p95, st.base.spread = w.all.q.p50, w.all.q.p95, w.all.spread
	}

	status := Status{condition, confidence}
	a.snap(i, &w, status, cause)
	a.assessed.Store(i)
	if old := a.status.Swap(pack(status)); old != pack(status) {
		c.Monitor.Status(status)
	}
}

// adaptable reports whether a condition is about latency alone, so that it
// may become the new baseline once it has lasted AdaptAfter.
func adaptable(condition Condition, cause Cause) bool {
	switch condition {
	case Diverging, Erratic:
		return true
	case Degraded:
		return cause == CauseBaseline
	}
	return false
}

// learn moves the baseline towards a STABLE window's latency: an average
// over the first WindowSlots slots learned, then an exponential one with
// time constant BaselineWindow, counting k slots since the last judgement.
func (a *Assessor) learn(all *part, k int64) {
	c, b := &a.cfg, &a.state.base
	if all.timed < uint64(c.MinSamples) || all.q.p50 <= 0 {
		return
	}
	b.slots += k
	rate := float64(c.SlotWidth) / float64(c.BaselineWindow)
	alpha := max(1-math.Pow(1-min(rate, 1), float64(k)), float64(k)/float64(b.slots))
	b.p50 += alpha * (all.q.p50 - b.p50)
	b.p95 += alpha * (all.q.p95 - b.p95)
	b.spread += alpha * (all.spread - b.spread)
}

// based reports whether the baseline has been learned from a full window.
func (a *Assessor) based() bool { return a.state.base.slots >= int64(a.cfg.WindowSlots) }

// classify applies the rules of the Assessor's documentation, in order, to
// the window, given the condition judged last and how long it has held.
func (a *Assessor) classify(w *window, held time.Duration) (Condition, Cause) {
	c, b, prev := &a.cfg, &a.state.base, a.state.condition
	based := a.based()
	all, recent, older := &w.all, &w.recent, &w.older
	recentJudged := recent.n >= uint64(c.ConfirmSamples)
	settled := held >= c.SettleFor

	if prev != Stable && recentJudged && a.healthy(recent) {
		if prev == Converging && settled && a.healthy(all) {
			return Stable, CauseNone
		}
		return Converging, CauseRecovery
	}

	downMin := uint64(c.DownMinSamples)
	if (all.n >= downMin && all.errorRate() >= c.DownErrorRate) ||
		(recent.n >= downMin && recent.errorRate() >= c.DownErrorRate) {
		return Down, CauseErrors
	}
	if all.attempts >= downMin && float64(all.n-all.errs) <= (1-c.DownErrorRate)*float64(all.attempts) {
		return Down, CauseNoSuccess
	}

	if all.n < uint64(c.MinSamples) {
		if prev == Converging && settled {
			return Stable, CauseIdle
		}
		return prev, CauseIdle
	}

	if w.badTail >= c.DefectiveSlots {
		return Defective, CauseErrors
	}
	if all.errorRate() >= c.ErrorRate || (recentJudged && recent.errorRate() >= c.ErrorRate) {
		return Degraded, CauseErrors
	}
	// Latency is judged on the timed operations: too few of them and the
	// percentiles say nothing.
	timed := all.timed >= uint64(c.MinSamples)
	if timed && c.LatencyCeiling > 0 && all.q.p95 > float64(c.LatencyCeiling) {
		return Degraded, CauseLatency
	}
	if timed && based {
		if all.q.p50 >= c.LatencyMultiplier*b.p50 {
			return Degraded, CauseBaseline
		}
		erratic := c.ErraticSpread * b.spread
		if all.spread >= erratic || (recentJudged && recent.spread >= erratic) {
			return Erratic, CauseSpread
		}
		if all.q.p95 >= c.LatencyMultiplier*b.p95 {
			return Degraded, CauseBaseline
		}
		if all.q.p95 >= c.DivergeRatio*b.p95 {
			rising, falling := a.trend(recent, older)
			switch {
			case rising:
				return Diverging, CauseTrend
			case prev == Stable:
				return Stable, CauseNone // a slow drift: the baseline follows it
			case falling:
				return Converging, CauseRecovery
			case prev == Diverging || prev == Converging:
				return Diverging, CauseTrend // holding away from the baseline
			default:
				return Converging, CauseRecovery // back from worse, not yet to normal
			}
		}
	}

	if prev == Stable || prev == Converging && settled {
		return Stable, CauseNone
	}
	return Converging, CauseRecovery
}

// healthy reports whether a part shows no trouble: errors under ErrorRate,
// p95 under the ceiling and, once there is a baseline, under DivergeRatio
// times it, with a spread under ErraticSpread times the baseline's.
func (a *Assessor) healthy(p *part) bool {
	c, b := &a.cfg, &a.state.base
	if p.errorRate() >= c.ErrorRate || c.LatencyCeiling > 0 && p.q.p95 > float64(c.LatencyCeiling) {
		return false
	}
	return !a.based() || p.q.p95 < c.DivergeRatio*b.p95 && p.spread < c.ErraticSpread*b.spread
}

// trend compares the p95 of the recent slots with that of the older ones;
// with fewer than MinSamples on either side it sees no trend.
func (a *Assessor) trend(recent, older *part) (rising, falling bool) {
	c := &a.cfg
	if recent.timed < uint64(c.MinSamples) || older.timed < uint64(c.MinSamples) {
		return false, false
	}
	return recent.q.p95 >= older.q.p95*(1+c.TrendRatio), recent.q.p95 <= older.q.p95*(1-c.TrendRatio)
}

// snap records the figures of a judgement for Snapshot.
func (a *Assessor) snap(i int64, w *window, status Status, cause Cause) {
	c, st, all := &a.cfg, &a.state, &w.all
	span := time.Duration(min(i, int64(c.WindowSlots)) * a.width)
	s := Snapshot{
		Status:    status,
		Cause:     cause,
		Since:     a.epoch.Add(time.Duration(st.since * a.width)),
		At:        a.epoch.Add(time.Duration(i * a.width)),
		Window:    span,
		Samples:   all.n,
		Timed:     all.timed,
		Errors:    all.errs,
		Attempts:  all.attempts,
		ErrorRate: all.errorRate(),
	}
	if span > 0 {
		s.OpsPerSecond = float64(all.n) / span.Seconds()
	}
	if all.timed > 0 {
		s.AvgLatency = time.Duration(all.sum / all.timed)
		s.P50Latency = time.Duration(all.q.p50)
		s.P95Latency = time.Duration(all.q.p95)
		s.P99Latency = time.Duration(all.q.p99)
	}
	if a.based() {
		s.BaselineP95 = time.Duration(st.base.p95)
	}
	st.snapshot = s
}
