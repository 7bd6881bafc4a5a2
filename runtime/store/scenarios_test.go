package store_test

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/store"
	"github.com/synapsed/storegen/runtime/store/internal/faulty"
)

// The scenario matrix drives a real store on the memory engine, wrapped in
// a fault injector, at 10,000 operations a second (2,000 under the race
// detector; 19 Gets to a Put, each on a goroutine of its own): a healthy
// warm-up, a fault, and recovery.
// In health reads take about 10 ms, spread as latencies are (a log-normal
// spread of 0.25), as from a nearby server.
//
// It runs on a virtual clock (vclock) shared by the DB's monitoring and
// the injector: time moves on, a millisecond at a time, only when every
// operation in flight is parked in an injected delay, so the store
// measures the latency injected (rounded up to the millisecond) however
// loaded the machine. On the real clock, a test machine running other
// tests stalls goroutines for tens of milliseconds, which the assessor
// rightly judges ERRATIC; TestScenarioRealClock runs the fault whose
// judgement does not depend on latency on the real clock.
const (
	scenarioTick     = time.Millisecond
	scenarioBase     = 10 * time.Millisecond
	scenarioSpread   = 0.25
	scenarioWarmUp   = 1500 * time.Millisecond
	scenarioFault    = 1200 * time.Millisecond
	scenarioRecovery = 2 * time.Second
	// scenarioDetect is how soon after the fault it must be seen.
	scenarioDetect = time.Second
	// scenarioHeld is the share of the looks from reaching the wanted
	// condition to the end of the fault that must find it; the others may
	// find CONVERGING, never STABLE. A judgement wavers: DIVERGING reads as
	// CONVERGING when the latency seems to fall, and between two stalls
	// the operations that complete are healthy ones, the stalled ones
	// still in flight and uncounted.
	scenarioHeld = 0.5
	// scenarioLook is how often the status is read.
	scenarioLook = 10 * time.Millisecond
)

// healthy is the fault of a healthy backend: its latency.
var healthy = faulty.Fault{Latency: scenarioBase, Spread: scenarioSpread}

// with returns the healthy fault changed by f.
func with(f func(*faulty.Fault)) faulty.Fault {
	h := healthy
	f(&h)
	return h
}

// faultScenario is a fault and the condition the store must be judged in
// while it lasts.
type faultScenario struct {
	name  string
	fault faulty.Fault
	want  serventis.Condition
}

var faultScenarios = []faultScenario{
	{"healthy", healthy, serventis.Stable},
	{"errors 2% (under threshold)", with(func(f *faulty.Fault) { f.ErrorRate = 0.02 }), serventis.Stable},
	{"latency x1.3 (under ratio)", with(func(f *faulty.Fault) { f.Latency = f.Latency * 13 / 10 }), serventis.Stable},
	{"errors 10%", with(func(f *faulty.Fault) { f.ErrorRate = 0.10 }), serventis.Degraded},
	{"errors 50%", with(func(f *faulty.Fault) { f.ErrorRate = 0.50 }), serventis.Defective},
	{"down", faulty.Fault{Down: true}, serventis.Down},
	{"latency x5", with(func(f *faulty.Fault) { f.Latency *= 5 }), serventis.Degraded},
	{"latency x2", with(func(f *faulty.Fault) { f.Latency *= 2 }), serventis.Diverging},
	{"latency +150 ms (over ceiling)", with(func(f *faulty.Fault) { f.Latency += 150 * time.Millisecond }), serventis.Degraded},
	{"jitter (1 in 10 up to +100 ms)", with(func(f *faulty.Fault) { f.Jitter, f.JitterRate = 10*scenarioBase, 0.1 }), serventis.Erratic},
	{"stalls (200 ms every 400 ms)", with(func(f *faulty.Fault) { f.StallEvery, f.StallFor = 400*time.Millisecond, 200*time.Millisecond }), serventis.Degraded},
}

// judged is the store's status at a moment of a run, from its start.
type judged struct {
	at     time.Duration
	status serventis.Status
}

// scenarioRun is how one run of a scenario went.
type scenarioRun struct {
	ok      bool
	why     string
	detect  time.Duration // from the fault to the first judgement other than STABLE
	reached time.Duration // from the fault to the wanted condition
	stable  time.Duration // from the recovery to STABLE again
	trace   []judged
}

// run drives one run of sc on a virtual clock, at rate operations a
// second, and judges it.
func (sc faultScenario) run(t *testing.T, rate int) scenarioRun {
	ctx := context.Background()
	clock := newVClock()
	fb := faulty.WrapOn(memory.New(), clock)
	fb.Set(healthy)
	db, err := store.Open(fb, store.WithAssessorConfig(serventis.AssessorConfig{Clock: clock.Now}))
	require.NoError(t, err)
	defer db.Close()
	accounts := store.NewTable(db, &accountSchema)
	for i := range 100 {
		require.NoError(t, accounts.Put(ctx, account{ID: strconv.Itoa(i), Email: strconv.Itoa(i)}))
	}

	var trace []judged
	perTick := rate * int(scenarioTick) / int(time.Second)
	for tick := 0; ; tick++ {
		at := time.Duration(tick) * scenarioTick
		switch at {
		case scenarioWarmUp:
			fb.Set(sc.fault)
		case scenarioWarmUp + scenarioFault:
			fb.Set(healthy)
		case scenarioWarmUp + scenarioFault + scenarioRecovery:
			clock.AdvanceTo(at)
			trace = append(trace, judged{at, accounts.Status()})
			clock.AdvanceTo(math.MaxInt64) // let the operations in flight finish
			return sc.judge(trace)
		}
		clock.AdvanceTo(at)
		if at%scenarioLook == 0 {
			trace = append(trace, judged{at, accounts.Status()})
		}
		for i := tick * perTick; i < (tick+1)*perTick; i++ {
			clock.Go(func() {
				id := strconv.Itoa(i % 100)
				if i%20 == 0 {
					_ = accounts.Put(ctx, account{ID: id, Email: id, Age: i})
					return
				}
				_, _ = accounts.Get(ctx, id)
			})
		}
	}
}

// judge reads a run's trace: STABLE after the warm-up; the wanted
// condition within scenarioDetect of the fault, and held from then on
// (for a fault under the thresholds, nothing but STABLE throughout); and
// STABLE again at the end of the recovery.
func (sc faultScenario) judge(trace []judged) scenarioRun {
	r := scenarioRun{ok: true, trace: trace}
	fail := func(format string, args ...any) {
		if r.ok {
			r.ok, r.why = false, fmt.Sprintf(format, args...)
		}
	}
	fault, recovery := scenarioWarmUp, scenarioWarmUp+scenarioFault
	at := func(d time.Duration) serventis.Status {
		var s serventis.Status
		for _, j := range trace {
			if j.at > d {
				break
			}
			s = j.status
		}
		return s
	}
	if s := at(fault); s.Condition != serventis.Stable {
		fail("%v at the end of the warm-up", s)
	}
	detected, reached, stable := false, false, false
	looks, held := 0, 0
	for _, j := range trace {
		switch {
		case j.at <= fault:
		case j.at <= recovery:
			if !detected && j.status.Condition != serventis.Stable {
				detected, r.detect = true, j.at-fault
			}
			if !reached && j.status.Condition == sc.want {
				reached, r.reached = true, j.at-fault
			}
			if reached {
				looks++
				switch j.status.Condition {
				case sc.want:
					held++
				case serventis.Stable:
					fail("%v again %v into the fault", j.status, j.at-fault)
				}
			}
			if sc.want == serventis.Stable && j.status.Condition != serventis.Stable {
				fail("%v %v into the fault", j.status, j.at-fault)
			}
		case !stable && j.status.Condition == serventis.Stable:
			stable, r.stable = true, j.at-recovery
		}
	}
	switch {
	case sc.want == serventis.Stable:
	case !reached:
		fail("never %v during the fault", sc.want)
	case r.reached > scenarioDetect:
		fail("%v only %v into the fault", sc.want, r.reached)
	case r.detect > scenarioDetect:
		fail("detected only %v into the fault", r.detect)
	case float64(held) < scenarioHeld*float64(looks):
		fail("%v held for only %d of %d looks", sc.want, held, looks)
	}
	if s := at(recovery + scenarioRecovery); s.Condition != serventis.Stable {
		fail("%v at the end of the recovery", s)
	}
	return r
}

// scenarioLoad is how many times each scenario runs, and at what rate:
// the fault injector draws at random, so the matrix asks that 95% of the
// runs be judged right rather than all. The race detector slows every
// operation and goroutine hand-off many times: under it each scenario
// runs once, at 2,000 operations a second, where a store times every
// operation rather than a sample.
func scenarioLoad() (runs, rate int) {
	if raceEnabled {
		return 2, 2000
	}
	return 3, 10000
}

// TestScenarioMatrix runs every scenario and demands that at least 95% of
// the runs be judged right: the wanted condition within a second of the
// fault and held while it lasts, and STABLE again 2 s after it. The table
// it logs (go test -v -run ScenarioMatrix ./runtime/store) is the report
// card of the store's monitoring.
func TestScenarioMatrix(t *testing.T) {
	runs, rate := scenarioLoad()
	results := make([][]scenarioRun, len(faultScenarios))
	var wg sync.WaitGroup
	for i, sc := range faultScenarios {
		results[i] = make([]scenarioRun, runs)
		for r := range runs {
			wg.Go(func() { results[i][r] = sc.run(t, rate) })
		}
	}
	wg.Wait()

	var table strings.Builder
	fmt.Fprintf(&table, "\n%-32s %-10s %6s %9s %9s %9s\n", "scenario", "want", "right", "detect", "reached", "stable")
	right, total := 0, 0
	for i, sc := range faultScenarios {
		n := 0
		var detect, reached, stable time.Duration
		for _, r := range results[i] {
			total++
			if r.ok {
				n++
				right++
			} else {
				t.Logf("%s: %s; trace%s", sc.name, r.why, compact(r.trace))
			}
			detect, reached, stable = max(detect, r.detect), max(reached, r.reached), max(stable, r.stable)
		}
		d, rc := "-", "-"
		if sc.want != serventis.Stable {
			d, rc = detect.String(), reached.String()
		}
		fmt.Fprintf(&table, "%-32s %-10v %3d/%-2d %9s %9s %9s\n", sc.name, sc.want, n, runs, d, rc, stable)
	}
	fmt.Fprintf(&table, "%d of %d runs judged right at %d operations a second (times are the worst over the runs)\n", right, total, rate)
	t.Log(table.String())
	assert.GreaterOrEqual(t, float64(right)/float64(total), 0.95, "%d of %d runs judged right", right, total)
}

// TestScenarioRealClock takes the store down and back up on the real clock
// at 10,000 operations a second: the outage is judged from errors alone,
// which the machine's load does not disturb. DOWN within a second, and
// neither DOWN nor DEFECTIVE a second and a half after the recovery.
// (Whether it is STABLE by then depends on how evenly the machine runs
// the goroutines.)
func TestScenarioRealClock(t *testing.T) {
	ctx := context.Background()
	fb, _, accounts := openFaulty(t)
	require.NoError(t, accounts.Put(ctx, account{ID: "a", Email: "a"}))

	start := time.Now()
	var ops sync.WaitGroup
	const rate = 10000
	load := func(until time.Duration) {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for sent := int(time.Since(start).Seconds() * rate); time.Since(start) < until; <-tick.C {
			for due := int(time.Since(start).Seconds() * rate); sent < due; sent++ {
				ops.Go(func() { _, _ = accounts.Get(ctx, "a") })
			}
		}
	}
	load(time.Second)
	fb.Set(faulty.Fault{Down: true})
	fault := time.Now()
	detected := make(chan time.Duration, 1)
	go func() {
		for time.Since(fault) < 2*time.Second {
			if accounts.Status().Condition == serventis.Down {
				detected <- time.Since(fault)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		detected <- -1
	}()
	load(2 * time.Second)
	fb.Set(faulty.Fault{})
	load(3500 * time.Millisecond)
	ops.Wait()
	d := <-detected
	require.Positive(t, d, "never judged DOWN")
	assert.LessOrEqual(t, d, scenarioDetect)
	st := accounts.Status().Condition
	assert.NotContains(t, []serventis.Condition{serventis.Down, serventis.Defective}, st)
	t.Logf("DOWN %v after the outage; %v 1.5 s after the recovery", d, st)
}

// compact renders a trace as its changes of status.
func compact(trace []judged) string {
	var b strings.Builder
	var last serventis.Status
	for i, j := range trace {
		if i == 0 || j.status != last {
			fmt.Fprintf(&b, " %v@%v", j.status, j.at)
			last = j.status
		}
	}
	return b.String()
}

// vclock is a virtual clock for goroutines started with Go: it moves only
// when told to (AdvanceTo), and only once every such goroutine has
// finished or is parked in Sleep, so that an operation's measured
// duration is the delays it slept, rounded up to the next time the clock
// was moved to. Goroutines must not wait for each other otherwise.
type vclock struct {
	mu       sync.Mutex
	settled  sync.Cond // broadcast when active drops to 0
	now      time.Duration
	active   int // goroutines started with Go, neither finished nor parked
	sleepers sleepers
	seq      int
}

var vclockEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newVClock() *vclock {
	c := &vclock{}
	c.settled.L = &c.mu
	return c
}

// Now returns the virtual time.
func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return vclockEpoch.Add(c.now)
}

// Sleep parks the caller until the clock has moved d on.
func (c *vclock) Sleep(_ context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	wake := make(chan struct{})
	c.mu.Lock()
	c.seq++
	heap.Push(&c.sleepers, sleeper{at: c.now + d, seq: c.seq, wake: wake})
	c.park()
	c.mu.Unlock()
	<-wake
	return nil
}

// Go runs f on a goroutine of its own, which the clock waits for.
func (c *vclock) Go(f func()) {
	c.mu.Lock()
	c.active++
	c.mu.Unlock()
	go func() {
		defer func() {
			c.mu.Lock()
			c.park()
			c.mu.Unlock()
		}()
		f()
	}()
}

// park counts the caller out of the active goroutines; mu is held.
func (c *vclock) park() {
	if c.active--; c.active == 0 {
		c.settled.Broadcast()
	}
}

// settle waits until no goroutine is active; mu is held.
func (c *vclock) settle() {
	for c.active > 0 {
		c.settled.Wait()
	}
}

// AdvanceTo waits for the goroutines to settle, moves the clock to t,
// wakes every sleeper due by then, and waits for them to settle again.
func (c *vclock) AdvanceTo(t time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	c.now = max(c.now, t)
	for len(c.sleepers) > 0 && c.sleepers[0].at <= t {
		c.active++
		close(heap.Pop(&c.sleepers).(sleeper).wake)
	}
	c.settle()
}

// sleeper is a goroutine parked in Sleep until at.
type sleeper struct {
	at   time.Duration
	seq  int
	wake chan struct{}
}

// sleepers is a heap of sleepers, the earliest (then the first parked)
// on top.
type sleepers []sleeper

func (h sleepers) Len() int { return len(h) }
func (h sleepers) Less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].seq < h[j].seq
}
func (h sleepers) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *sleepers) Push(x any)   { *h = append(*h, x.(sleeper)) }
func (h *sleepers) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
