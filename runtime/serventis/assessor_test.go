package serventis

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssessorDefaults(t *testing.T) {
	c := NewAssessor(AssessorConfig{}).Config()
	assert.Equal(t, 100*time.Millisecond, c.SlotWidth)
	assert.Equal(t, 10, c.WindowSlots)
	assert.Equal(t, 3, c.RecentSlots)
	assert.Equal(t, 20, c.MinSamples)
	assert.Equal(t, 5, c.DownMinSamples)
	assert.Equal(t, 200, c.ConfirmSamples)
	assert.Equal(t, 0.95, c.DownErrorRate)
	assert.Equal(t, 0.2, c.DefectiveErrorRate)
	assert.Equal(t, 5, c.DefectiveSlots)
	assert.Equal(t, 0.05, c.ErrorRate)
	assert.Equal(t, 100*time.Millisecond, c.LatencyCeiling)
	assert.Equal(t, 3.0, c.LatencyMultiplier)
	assert.Equal(t, 1.5, c.DivergeRatio)
	assert.Equal(t, 0.02, c.TrendRatio)
	assert.Equal(t, 2.0, c.ErraticSpread)
	assert.Equal(t, time.Minute, c.BaselineWindow)
	assert.Equal(t, 5*time.Minute, c.AdaptAfter)
	assert.Equal(t, 500*time.Millisecond, c.HoldFor)
	assert.Equal(t, 3*time.Second, c.ConfirmFor)
	assert.Equal(t, 500*time.Millisecond, c.SettleFor)

	c = NewAssessor(AssessorConfig{WindowSlots: 1000, RecentSlots: 999, DefectiveSlots: 2000}).Config()
	assert.Equal(t, maxWindowSlots, c.WindowSlots)
	assert.Equal(t, maxWindowSlots-1, c.RecentSlots)
	assert.Equal(t, maxWindowSlots, c.DefectiveSlots)
}

func TestAssessorStartsStableTentative(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	assert.Equal(t, Status{Stable, Tentative}, a.Status())
	assert.Equal(t, Status{Stable, Tentative}, a.Snapshot().Status, "before the first judgement too")
	assert.Equal(t, CauseIdle, a.Snapshot().Cause)

	// With nothing to go on, time passing changes nothing.
	clock.Advance(5 * time.Second)
	assert.Equal(t, Status{Stable, Tentative}, a.Status())
	snap := a.Snapshot()
	assert.Equal(t, CauseIdle, snap.Cause)
	assert.Zero(t, snap.Samples)
	assert.Zero(t, snap.BaselineP95)
	assert.Equal(t, simEpoch.Add(5*time.Second), snap.At)
}

func TestAssessorSnapshotFigures(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	// 10,000 operations a second for 4 s, one in a hundred failing; latency
	// 1 ms, and 5 ms for one in ten.
	for i := range 40000 {
		clock.Set(time.Duration(i) * 100 * time.Microsecond)
		d := time.Millisecond
		if i%10 == 0 {
			d = 5 * time.Millisecond
		}
		a.Observe(d, i%100 == 1)
	}
	clock.Set(4 * time.Second)
	snap := a.Snapshot()
	assert.Equal(t, Status{Stable, Confirmed}, snap.Status)
	assert.Equal(t, CauseNone, snap.Cause)
	assert.Equal(t, simEpoch.Add(4*time.Second), snap.At)
	assert.Equal(t, simEpoch, snap.Since)
	assert.Equal(t, time.Second, snap.Window)
	assert.Equal(t, uint64(10000), snap.Samples)
	assert.Equal(t, uint64(100), snap.Errors)
	assert.InDelta(t, 0.01, snap.ErrorRate, 1e-9)
	assert.InDelta(t, 10000, snap.OpsPerSecond, 1e-6)
	assert.Equal(t, 1400*time.Microsecond, snap.AvgLatency)
	assert.InEpsilon(t, float64(time.Millisecond), float64(snap.P50Latency), 0.125)
	assert.InEpsilon(t, float64(5*time.Millisecond), float64(snap.P95Latency), 0.125)
	assert.InEpsilon(t, float64(5*time.Millisecond), float64(snap.P99Latency), 0.125)
	assert.Equal(t, snap.P95Latency, snap.BaselineP95)
}

// Confidence grows with the evidence in the window and with how long the
// condition has held: TENTATIVE for HoldFor, MEASURED, then CONFIRMED once
// the condition has held ConfirmFor on ConfirmSamples operations.
func TestAssessorConfidenceProgression(t *testing.T) {
	s := newSim(1, 10000, AssessorConfig{})
	at := func(d time.Duration) Status {
		for _, p := range s.trace {
			if p.at == d {
				return p.status
			}
		}
		t.Fatalf("no judgement at %v", d)
		return Status{}
	}
	s.run(4*time.Second, healthy)
	assert.Equal(t, Status{Stable, Tentative}, at(400*time.Millisecond))
	assert.Equal(t, Status{Stable, Measured}, at(500*time.Millisecond))
	assert.Equal(t, Status{Stable, Measured}, at(2900*time.Millisecond))
	assert.Equal(t, Status{Stable, Confirmed}, at(3*time.Second))

	s.run(4*time.Second, lognormal(time.Millisecond, 0.25, 1))
	onset, ok := s.first(4*time.Second, Down)
	require.True(t, ok)
	down := 4*time.Second + onset
	assert.Equal(t, Status{Down, Tentative}, at(down))
	assert.Equal(t, Status{Down, Tentative}, at(down+400*time.Millisecond))
	assert.Equal(t, Status{Down, Measured}, at(down+500*time.Millisecond))
	assert.Equal(t, Status{Down, Confirmed}, at(down+3*time.Second))

	// Too few operations for a judgement: whatever the rate of failure,
	// the condition carries over, TENTATIVE.
	s = newSim(1, 10, AssessorConfig{})
	s.run(5*time.Second, healthy)
	assert.Equal(t, Status{Stable, Tentative}, s.a.Status())
	assert.Equal(t, CauseIdle, s.a.Snapshot().Cause)
}

// Without operations there is no evidence either way: the last condition
// carries over, TENTATIVE.
func TestAssessorIdleCarriesOver(t *testing.T) {
	s := newSim(1, 10000, AssessorConfig{})
	s.run(4*time.Second, healthy)
	s.run(time.Second, lognormal(time.Millisecond, 0.25, 1))
	s.idle(5 * time.Second)
	snap := s.a.Snapshot()
	assert.Equal(t, Status{Down, Tentative}, snap.Status)
	assert.Equal(t, CauseIdle, snap.Cause)
	assert.Zero(t, snap.Samples)
}

// Operations begun and never completed make the subject DOWN: a hung
// backend is not an idle one.
func TestAssessorHangIsDown(t *testing.T) {
	s := newSim(1, 10000, AssessorConfig{})
	s.run(4*time.Second, healthy)
	for i := range 1000 {
		s.clock.Set(4*time.Second + time.Duration(i)*time.Millisecond)
		s.a.Begin()
	}
	s.clock.Set(5 * time.Second)
	snap := s.a.Snapshot()
	assert.Equal(t, Down, snap.Status.Condition)
	assert.Equal(t, CauseNoSuccess, snap.Cause)
	assert.Equal(t, uint64(1000), snap.Attempts)

	// Begin and End time the operation on the assessor's clock.
	start := s.a.Begin()
	s.clock.Advance(3 * time.Millisecond)
	assert.Equal(t, 3*time.Millisecond, s.a.End(start, false))
}

// The Monitor is sent the Status each time it changes, and only then.
func TestAssessorEmitsChanges(t *testing.T) {
	kit, c := newKit(t)
	got := listen(kit.Monitors())
	s := newSim(1, 10000, AssessorConfig{Monitor: kit.Monitor("store.users")})
	s.run(4*time.Second, healthy)
	s.run(2*time.Second, lognormal(time.Millisecond, 0.25, 0.5))
	s.run(3*time.Second, healthy)
	c.Await()

	var want []emission[Status]
	last := Status{Stable, Tentative}
	for _, p := range s.trace {
		if p.status != last {
			want = append(want, emission[Status]{"store.users", p.status})
			last = p.status
		}
	}
	assert.Equal(t, want, *got)
	assert.Contains(t, *got, emission[Status]{"store.users", Status{Defective, Measured}})
	assert.Equal(t, emission[Status]{"store.users", Status{Stable, Measured}}, (*got)[len(*got)-1])
}

// A latency shift that lasts AdaptAfter becomes the baseline: the subject
// converges and is STABLE at the new level.
func TestAssessorAdaptsToLastingShift(t *testing.T) {
	s := newSim(1, 10000, AssessorConfig{AdaptAfter: 2 * time.Second})
	s.run(4*time.Second, healthy)
	slow := lognormal(2*time.Millisecond, 0.25, 0.001)
	s.run(time.Second, slow)
	assert.Equal(t, Diverging, s.a.Status().Condition)
	s.run(4*time.Second, slow)
	assert.Equal(t, Stable, s.a.Status().Condition)
	assert.InEpsilon(t, float64(3*time.Millisecond), float64(s.a.Snapshot().BaselineP95), 0.15)

	// Switched off, the shift is reported for as long as it lasts.
	s = newSim(1, 10000, AssessorConfig{AdaptAfter: -1})
	s.run(4*time.Second, healthy)
	s.run(20*time.Second, slow)
	assert.Equal(t, Diverging, s.a.Status().Condition)
}

// Operations counted from many goroutines at once are all counted; Status
// and Snapshot may be asked meanwhile.
func TestAssessorConcurrent(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	clock.Set(time.Second + time.Millisecond) // well inside slot 10
	a.Status()                                // which is open before the workers start
	const workers, each = 4, 5000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range each {
				a.Observe(time.Duration(i)*time.Microsecond, i%10 == 0)
			}
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			_ = a.Status()
			_ = a.Snapshot()
		}
	}()
	wg.Wait()
	<-done
	clock.Advance(a.cfg.SlotWidth)
	snap := a.Snapshot()
	assert.Equal(t, uint64(workers*each), snap.Samples)
	assert.Equal(t, uint64(workers*each/10), snap.Errors)

	// With the slots turning under them, operations racing a turn may go
	// uncounted, but none is counted twice.
	clock.Advance(a.cfg.SlotWidth * time.Duration(a.cfg.WindowSlots))
	a.Status()
	var turning sync.WaitGroup
	for w := range workers {
		turning.Go(func() {
			for i := range each {
				if w == 0 && i%100 == 0 {
					clock.Advance(10 * time.Millisecond) // 500 ms in all
				}
				a.Observe(time.Millisecond, false)
			}
		})
	}
	turning.Wait()
	clock.Advance(a.cfg.SlotWidth)
	counted := a.Snapshot().Samples
	assert.LessOrEqual(t, counted, uint64(workers*each))
	assert.Greater(t, counted, uint64(workers*each*9/10))
}

// BenchmarkObserveAt counts operations with the time passed in, 100 ns of
// simulated time apart, so a slot turns (and the window is judged) once per
// million operations.
func BenchmarkObserveAt(b *testing.B) {
	a := NewAssessor(AssessorConfig{})
	var now int64
	b.ReportAllocs()
	for b.Loop() {
		now += 100
		a.ObserveAt(now, time.Millisecond, false)
	}
}

// BenchmarkObserveAtParallel is BenchmarkObserveAt from GOMAXPROCS
// goroutines, all counting into the same slot.
func BenchmarkObserveAtParallel(b *testing.B) {
	a := NewAssessor(AssessorConfig{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.ObserveAt(1000, time.Millisecond, false)
		}
	})
}

// BenchmarkObserve counts operations on the default clock: a clock read
// and the adds.
func BenchmarkObserve(b *testing.B) {
	a := NewAssessor(AssessorConfig{})
	b.ReportAllocs()
	for b.Loop() {
		a.Observe(time.Millisecond, false)
	}
}

// BenchmarkObserveParallel is BenchmarkObserve from GOMAXPROCS goroutines.
func BenchmarkObserveParallel(b *testing.B) {
	a := NewAssessor(AssessorConfig{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.Observe(time.Millisecond, false)
		}
	})
}

// BenchmarkBeginEnd times and counts an empty operation as a store would:
// two clock reads, an attempt and a completion.
func BenchmarkBeginEnd(b *testing.B) {
	a := NewAssessor(AssessorConfig{})
	b.ReportAllocs()
	for b.Loop() {
		a.End(a.Begin(), false)
	}
}

// BenchmarkClock is the default clock read alone, for scale.
func BenchmarkClock(b *testing.B) {
	a := NewAssessor(AssessorConfig{})
	for b.Loop() {
		_ = a.Now()
	}
}

// BenchmarkStatus asks for the status within one slot: the judgement is
// made, so it costs a clock read and two loads.
func BenchmarkStatus(b *testing.B) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	fill(a, clock)
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Status()
	}
}

// BenchmarkStatusJudge asks for the status once per slot, each slot
// holding a thousand varied operations, so that every call turns the ring
// and judges a full window: the work done once per slot, by whichever call
// comes first. Filling the slot is not timed.
func BenchmarkStatusJudge(b *testing.B) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	fill(a, clock)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		base := a.Now()
		for i := range 1000 {
			a.ObserveAt(base+int64(i), time.Duration(500+i)*time.Microsecond, i%100 == 0)
		}
		clock.Advance(a.cfg.SlotWidth)
		b.StartTimer()
		_ = a.Status()
	}
}

// fill gives every slot of a's ring a thousand varied operations.
func fill(a *Assessor, clock *fakeClock) {
	for i := range len(a.ring) * 1000 {
		clock.Set(time.Duration(i) * 100 * time.Microsecond)
		a.Observe(time.Duration(500+i%1000)*time.Microsecond, i%100 == 0)
	}
}

// feed counts n operations 100 µs apart on a's timeline, timing one in
// every (each taking d) and counting the others without a duration;
// failed says which fail.
func feed(a *Assessor, n, every int, d time.Duration, failed func(i int) bool) {
	for i := range n {
		now := int64(time.Duration(i) * 100 * time.Microsecond)
		if i%every == 0 {
			a.ObserveAt(now, d, failed(i))
		} else {
			a.CountAt(now, 1, b2u(failed(i)))
		}
	}
}

func TestAssessorCountsUntimedOperations(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	// 10,000 operations a second for 2 s, one in a hundred failing; one in
	// sixteen timed, at 1 ms.
	feed(a, 20000, 16, time.Millisecond, func(i int) bool { return i%100 == 1 })
	clock.Set(2 * time.Second)
	snap := a.Snapshot()
	assert.Equal(t, uint64(10000), snap.Samples)
	assert.Equal(t, uint64(625), snap.Timed)
	assert.Equal(t, uint64(100), snap.Errors)
	assert.InDelta(t, 0.01, snap.ErrorRate, 1e-9)
	assert.InDelta(t, 10000, snap.OpsPerSecond, 1e-6)
	assert.Equal(t, time.Millisecond, snap.AvgLatency, "the average is over the timed operations")
	assert.InDelta(t, float64(time.Millisecond), float64(snap.P95Latency), 0.15*float64(time.Millisecond))
	assert.Equal(t, Stable, snap.Status.Condition)
}

func TestAssessorUntimedErrorsJudged(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	// Every timed operation succeeds; the failures are all among the
	// untimed ones, fifteen in sixteen in the second second, and still
	// count.
	feed(a, 20000, 16, time.Millisecond, func(i int) bool { return i%16 != 0 && i >= 10000 })
	clock.Set(2 * time.Second)
	snap := a.Snapshot()
	assert.Equal(t, Defective, snap.Status.Condition)
	assert.InDelta(t, 15.0/16, snap.ErrorRate, 0.001)
}

func TestAssessorFewTimedSkipsLatency(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	// Plenty of operations, but only ten timed, each far over the ceiling:
	// too few to say anything about latency.
	feed(a, 10000, 1000, time.Second, func(int) bool { return false })
	clock.Set(time.Second)
	assert.Equal(t, Stable, a.Status().Condition)
}

func TestAssessorSampledAttemptsTellHangs(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	// A healthy second, attempts sampled one in eight with weight eight,
	// then a second in which operations begin and none completes.
	for i := range 10000 {
		now := int64(time.Duration(i) * 100 * time.Microsecond)
		if i%8 == 0 {
			a.AttemptAt(now, 8)
		}
		a.ObserveAt(now+int64(time.Millisecond), time.Millisecond, false)
	}
	clock.Set(time.Second + 2*time.Millisecond)
	snap := a.Snapshot()
	assert.Equal(t, Stable, snap.Status.Condition)
	assert.InDelta(t, float64(snap.Samples), float64(snap.Attempts), 0.02*float64(snap.Samples))
	for i := range 10000 {
		if i%8 == 0 {
			a.AttemptAt(int64(time.Second+time.Duration(i)*100*time.Microsecond), 8)
		}
	}
	clock.Set(2*time.Second + 2*time.Millisecond)
	snap = a.Snapshot()
	assert.Equal(t, Down, snap.Status.Condition)
	assert.Equal(t, CauseNoSuccess, snap.Cause)
}

func TestAssessorSharedEpoch(t *testing.T) {
	clock := &fakeClock{}
	clock.Set(time.Hour)
	epoch := simEpoch.Add(time.Minute)
	a := NewAssessor(AssessorConfig{Clock: clock.Now, Epoch: epoch})
	b := NewAssessor(AssessorConfig{Clock: clock.Now, Epoch: epoch})
	assert.Equal(t, int64(time.Hour-time.Minute), a.Now())
	assert.Equal(t, a.Now(), b.Now())

	// On the default clock, a reading of one is the other's.
	start := time.Now()
	c := NewAssessor(AssessorConfig{Epoch: start})
	d := NewAssessor(AssessorConfig{Epoch: start})
	x := c.Now()
	y := d.Now()
	assert.LessOrEqual(t, x, y)
	assert.Less(t, y-x, int64(time.Second))
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func TestAssessorCountsGatheredOperations(t *testing.T) {
	clock := &fakeClock{}
	a := NewAssessor(AssessorConfig{Clock: clock.Now})
	// 10,000 operations a second for 2 s, one in sixteen timed; the
	// successes between two timed ones are counted with the later, the
	// failures (one in fifty) at once.
	var pending uint64
	for i := range 20000 {
		now := int64(time.Duration(i) * 100 * time.Microsecond)
		switch {
		case i%16 == 0:
			a.ObserveAt(now, time.Millisecond, false)
			a.CountAt(now, pending, 0)
			pending = 0
		case i%50 == 1:
			a.CountAt(now, 1, 1)
		default:
			pending++
		}
	}
	clock.Set(2 * time.Second)
	snap := a.Snapshot()
	assert.InDelta(t, 10000, float64(snap.Samples), 16)
	assert.Equal(t, uint64(200), snap.Errors)
	assert.InDelta(t, 0.02, snap.ErrorRate, 0.001)
	assert.Equal(t, Stable, snap.Status.Condition)
}
