package serventis

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// phase is a stretch of simulated operation under one load.
type phase struct {
	d time.Duration
	l load
}

// reach asks that the condition be judged within a time of a phase's start.
type reach struct {
	phase  int
	cond   Condition
	within time.Duration
}

// scenario is a synthetic history after a healthy warm-up, and how the
// assessor must judge it.
type scenario struct {
	name   string
	rate   float64 // operations per second
	phases []phase
	final  Condition // the condition at the end of the last phase
	reach  []reach
	steady bool // no other condition is ever judged after the warm-up
	sure   bool // the final judgement is CONFIRMED
}

// rising is a healthy load whose median grows by perSecond of a
// millisecond every second from the start of its phase at from.
func rising(from time.Duration, perSecond float64) load {
	return func(rng *rand.Rand, t time.Duration) (time.Duration, bool) {
		median := time.Millisecond + time.Duration(perSecond*float64(time.Millisecond)*(t-from).Seconds())
		return lognormal(median, 0.25, 0.001)(rng, t)
	}
}

// warmUp is the healthy start of every run: long enough for a baseline and
// a CONFIRMED STABLE.
const warmUp = 5 * time.Second

// runs is how many seeds each scenario is run with; the race detector gets
// fewer, since the simulation is single-threaded and the matrix is about
// judgement, not about races.
func runs() int {
	if raceEnabled {
		return 5
	}
	return 20
}

var scenarios = []scenario{
	{name: "healthy", phases: []phase{{10 * time.Second, healthy}}, final: Stable, steady: true, sure: true},
	{name: "healthy at 100/s", rate: 100, phases: []phase{{10 * time.Second, healthy}}, final: Stable, steady: true},
	{name: "errors 3% (under threshold)", phases: []phase{{5 * time.Second, lognormal(time.Millisecond, 0.25, 0.03)}},
		final: Stable, steady: true, sure: true},
	{name: "latency x1.3 (under ratio)", phases: []phase{{5 * time.Second, lognormal(1300*time.Microsecond, 0.25, 0.001)}},
		final: Stable, steady: true, sure: true},
	{name: "errors 10%", phases: []phase{{3 * time.Second, lognormal(time.Millisecond, 0.25, 0.10)}},
		final: Degraded, reach: []reach{{0, Degraded, time.Second}}},
	{name: "errors 10% at 100/s", rate: 100, phases: []phase{{3 * time.Second, lognormal(time.Millisecond, 0.25, 0.10)}},
		final: Degraded, reach: []reach{{0, Degraded, time.Second}}},
	{name: "errors 50%", phases: []phase{{3 * time.Second, lognormal(time.Millisecond, 0.25, 0.50)}},
		final: Defective, reach: []reach{{0, Defective, time.Second}}},
	{name: "errors 100%", phases: []phase{{3 * time.Second, lognormal(time.Millisecond, 0.25, 1)}},
		final: Down, reach: []reach{{0, Down, time.Second}}},
	{name: "errors 100% at 100/s", rate: 100, phases: []phase{{3 * time.Second, lognormal(time.Millisecond, 0.25, 1)}},
		final: Down, reach: []reach{{0, Down, time.Second}}},
	{name: "latency x5", phases: []phase{{3 * time.Second, lognormal(5*time.Millisecond, 0.25, 0.001)}},
		final: Degraded, reach: []reach{{0, Degraded, time.Second}}},
	{name: "latency x2", phases: []phase{{3 * time.Second, lognormal(2*time.Millisecond, 0.25, 0.001)}},
		final: Diverging, reach: []reach{{0, Diverging, time.Second}}},
	{name: "latency over ceiling", phases: []phase{{3 * time.Second, lognormal(150*time.Millisecond, 0.25, 0.001)}},
		final: Degraded, reach: []reach{{0, Degraded, time.Second}}},
	{name: "rising 20%/s", phases: []phase{{8 * time.Second, rising(warmUp, 0.2)}},
		final: Diverging, reach: []reach{{0, Diverging, 6 * time.Second}}},
	{name: "jitter", phases: []phase{{3 * time.Second, lognormal(time.Millisecond, 1, 0.001)}},
		final: Erratic, reach: []reach{{0, Erratic, time.Second}}},
	{name: "slow tail (1 in 10 at x10)", phases: []phase{{3 * time.Second, func(rng *rand.Rand, t time.Duration) (time.Duration, bool) {
		d, failed := healthy(rng, t)
		if rng.IntN(10) == 0 {
			d *= 10
		}
		return d, failed
	}}}, final: Erratic, reach: []reach{{0, Erratic, time.Second}}},
	{name: "latency x5 and errors 10%", phases: []phase{{3 * time.Second, lognormal(5*time.Millisecond, 0.25, 0.1)}},
		final: Degraded, reach: []reach{{0, Degraded, time.Second}}},
	{name: "recovery from errors 100%", phases: []phase{{2 * time.Second, lognormal(time.Millisecond, 0.25, 1)}, {3 * time.Second, healthy}},
		final: Stable, reach: []reach{{0, Down, time.Second}, {1, Converging, time.Second}, {1, Stable, 2 * time.Second}}},
	{name: "recovery from latency x5", phases: []phase{{2 * time.Second, lognormal(5*time.Millisecond, 0.25, 0.001)}, {3 * time.Second, healthy}},
		final: Stable, reach: []reach{{0, Degraded, time.Second}, {1, Converging, time.Second}, {1, Stable, 2 * time.Second}}},
	{name: "recovery from jitter", phases: []phase{{2 * time.Second, lognormal(time.Millisecond, 1, 0.001)}, {3 * time.Second, healthy}},
		final: Stable, reach: []reach{{0, Erratic, time.Second}, {1, Converging, time.Second}, {1, Stable, 2 * time.Second}}},
}

// outcome is how one run of a scenario was judged.
type outcome struct {
	ok      bool
	why     string
	detect  time.Duration // from the first fault to the first judgement other than STABLE
	reached []time.Duration
}

// run simulates the scenario with one seed, timing one operation in
// sample (every one if sample is 1).
func (sc scenario) run(seed uint64, sample int) outcome {
	rate := sc.rate
	if rate == 0 {
		rate = 10000
	}
	s := newSim(seed, rate, AssessorConfig{})
	s.sample = sample
	s.run(warmUp, healthy)
	starts := make([]time.Duration, len(sc.phases))
	for i, p := range sc.phases {
		starts[i] = s.at
		s.run(p.d, p.l)
	}
	var o outcome
	o.ok = true
	fail := func(format string, args ...any) {
		if o.ok {
			o.ok, o.why = false, fmt.Sprintf(format, args...)
		}
	}
	if got := s.a.Status(); got.Condition != sc.final {
		fail("ended %v, want %v", got, sc.final)
	}
	if got := s.a.Status(); sc.sure && got.Confidence != Confirmed {
		fail("ended %v, want CONFIRMED", got)
	}
	if sc.steady {
		for _, p := range s.trace {
			if p.at >= warmUp && p.status.Condition != Stable {
				fail("%v at %v (%v)", p.status, p.at, p.cause)
			}
		}
	}
	for _, r := range sc.reach {
		after, ok := s.first(starts[r.phase], r.cond)
		o.reached = append(o.reached, after)
		if !ok || after > r.within {
			fail("%v reached after %v (%v), want within %v", r.cond, after, ok, r.within)
		}
	}
	if len(sc.phases) > 0 && !sc.steady {
		o.detect, _ = s.first(warmUp, Converging, Diverging, Erratic, Degraded, Defective, Down)
	}
	return o
}

// TestScenarioMatrix drives every scenario with 20 seeds (5 under the race
// detector) and demands that at least 95% of the runs be judged as
// expected, in time. The table it logs
// (go test -v -run ScenarioMatrix) is the assessor's report card.
func TestScenarioMatrix(t *testing.T) { scenarioMatrix(t, 1) }

// TestScenarioMatrixSampled is the matrix with one operation in two timed
// and the others counted without a duration (CountAt), as a store counts
// them at 10,000 a second: the judgements must not change. At 100 a second
// a store times every operation, so those scenarios are not run sampled.
// The race detector would only slow it down: the simulation is
// single-threaded.
func TestScenarioMatrixSampled(t *testing.T) {
	if raceEnabled {
		t.Skip("single-threaded judgement, run without the race detector")
	}
	scenarioMatrix(t, 2)
}

func scenarioMatrix(t *testing.T, sample int) {
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-28s %-10s %6s %10s  %s\n", "scenario", "final", "right", "detect", "reached (max over runs)")
	for _, sc := range scenarios {
		if sample > 1 && sc.rate != 0 {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			right := 0
			var detect time.Duration
			reached := make([]time.Duration, len(sc.reach))
			for seed := range uint64(runs()) {
				o := sc.run(seed+1, sample)
				if o.ok {
					right++
				} else {
					t.Logf("seed %d: %s", seed+1, o.why)
				}
				detect = max(detect, o.detect)
				for i, r := range o.reached {
					reached[i] = max(reached[i], r)
				}
			}
			share := float64(right) / float64(runs())
			var marks []string
			for i, r := range sc.reach {
				marks = append(marks, fmt.Sprintf("%v@%d %v", r.cond, r.phase, reached[i]))
			}
			d := "-"
			if !sc.steady {
				d = detect.String()
			}
			fmt.Fprintf(&table, "%-28s %-10v %3d/%-2d %10s  %s\n", sc.name, sc.final, right, runs(), d, strings.Join(marks, ", "))
			assert.GreaterOrEqual(t, share, 0.95, "%s: %d of %d runs judged right", sc.name, right, runs())
		})
	}
	t.Log(table.String())
}
