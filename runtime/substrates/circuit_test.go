package substrates_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/substrates"
)

// hold blocks the circuit's goroutine inside a pipe until release is called,
// so that what the test does meanwhile queues up behind it.
func hold(t *testing.T, cir *substrates.Circuit) (release func()) {
	t.Helper()
	cd := substrates.NewConduit[struct{}](cir, "hold")
	entered, gate := make(chan struct{}), make(chan struct{})
	sub := cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[struct{}]) {
		r.Register(substrates.PipeFunc[struct{}](func(struct{}) {
			close(entered)
			<-gate
		}))
	})
	cd.Channel("hold").Emit(struct{}{})
	<-entered
	return func() {
		close(gate)
		sub.Close()
	}
}

// record subscribes to cd and appends "channel:value" for every emission to
// *log, on the circuit's goroutine; read *log only after an Await.
func record[E any](cd *substrates.Conduit[E], log *[]string) *substrates.Subscription {
	return cd.Subscribe(func(s substrates.Subject, r substrates.Registrar[E]) {
		name := s.Name().String()
		r.Register(substrates.PipeFunc[E](func(e E) {
			*log = append(*log, fmt.Sprint(name, ":", e))
		}))
	})
}

func TestOrderIsGlobal(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("order")

	type event struct{ G, Seq int }
	a, b := substrates.NewConduit[event](cir, "a"), substrates.NewConduit[event](cir, "b")
	echo := substrates.NewConduit[string](cir, "echo")
	echoes := echo.Channel("echo")
	channels := []*substrates.Channel[event]{a.Channel("x"), a.Channel("y"), b.Channel("x"), b.Channel("y")}

	// Every emission on a causes an echo from inside a pipe: it must follow
	// its cause at once, whatever the emitting goroutines do meanwhile.
	a.Subscribe(func(_ substrates.Subject, r substrates.Registrar[event]) {
		r.Register(substrates.PipeFunc[event](func(e event) { echoes.Emit(fmt.Sprint(e.G, "/", e.Seq)) }))
	})
	const subscribers = 3
	logs := make([][]string, subscribers)
	for i := range subscribers {
		for _, cd := range []*substrates.Conduit[event]{a, b} {
			conduit := cd.Subject().Name().String()
			cd.Subscribe(func(s substrates.Subject, r substrates.Registrar[event]) {
				name := conduit + "." + s.Name().String()
				r.Register(substrates.PipeFunc[event](func(e event) {
					logs[i] = append(logs[i], fmt.Sprint(name, " ", e.G, "/", e.Seq))
				}))
			})
		}
		record(echo, &logs[i])
	}

	const goroutines, each = 4, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range each {
				channels[(g+seq)%len(channels)].Emit(event{g, seq})
			}
		}()
	}
	wg.Wait()
	cir.Await()

	require.Len(t, logs[0], goroutines*each*3/2, "every emission and every echo of a")
	for i := 1; i < subscribers; i++ {
		require.Equal(t, logs[0], logs[i], "subscriber %d saw another order", i)
	}
	next := make([]int, goroutines)
	names := []string{"a.x", "a.y", "b.x", "b.y"}
	for i := 0; i < len(logs[0]); i++ {
		var name string
		var g, seq int
		_, err := fmt.Sscanf(logs[0][i], "%s %d/%d", &name, &g, &seq)
		require.NoError(t, err, logs[0][i])
		require.Equal(t, next[g], seq, "goroutine %d's emissions out of order", g)
		require.Equal(t, names[(g+seq)%len(names)], name)
		next[g]++
		if name[0] == 'a' {
			i++
			require.Equal(t, fmt.Sprintf("echo:%d/%d", g, seq), logs[0][i], "the echo must follow its cause")
		}
	}
}

func TestNestedEmissionRunsBeforeNextQueued(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("nested")
	cd := substrates.NewConduit[string](cir, "n")
	other := substrates.NewConduit[string](cir, "other")
	in, mid, deep := cd.Channel("in"), cd.Channel("mid"), other.Channel("deep")

	var log []string
	cd.Subscribe(func(s substrates.Subject, r substrates.Registrar[string]) {
		name := s.Name().String()
		r.Register(substrates.PipeFunc[string](func(v string) {
			log = append(log, name+":"+v)
			switch name {
			case "in":
				mid.Emit(v + ".1")
				mid.Emit(v + ".2")
			case "mid":
				if v[len(v)-1] == '1' {
					// Same lane as the value being delivered, whose
					// job record has started: a record of its own.
					mid.Emit(v + ".again")
					deep.Emit(v + ".d")
				}
			}
		}))
	})
	record(other, &log)

	release := hold(t, cir)
	in.Emit("x")
	in.Emit("y") // queued before x's cascade exists
	release()
	cir.Await()
	assert.Equal(t, []string{
		"in:x", "mid:x.1", "mid:x.2", "mid:x.1.again", "deep:x.1.d",
		"in:y", "mid:y.1", "mid:y.2", "mid:y.1.again", "deep:y.1.d",
	}, log)
}

func TestEmitFromPipeIntoAnotherCircuit(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	first, second := cx.Circuit("first"), cx.Circuit("second")
	src := substrates.NewConduit[int](first, "src")
	dst := substrates.NewConduit[int](second, "dst")
	out := dst.Channel("out")
	src.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](out.Emit))
	})
	var got []string
	record(dst, &got)

	src.Channel("in").Emit(7)
	first.Await()
	second.Await()
	assert.Equal(t, []string{"out:7"}, got)
}

func TestAwait(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("await")
	cd := substrates.NewConduit[int](cir, "n")
	sum := 0
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) { sum += v }))
	})
	ch := cd.Channel("n")

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 1000; i++ {
				ch.Emit(i)
			}
		}()
	}
	wg.Wait()
	cir.Await()
	assert.Equal(t, 4*1000*1001/2, sum)

	cir.Close()
	done := make(chan struct{})
	go func() {
		cir.Await()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Await on a closed circuit did not return")
	}
}

func TestCloseDrainsThenDrops(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("close")
	cd := substrates.NewConduit[int](cir, "n")
	var got []int
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) { got = append(got, v) }))
	})
	ch := cd.Channel("n")

	release := hold(t, cir)
	for i := range 100 {
		ch.Emit(i)
	}
	closed := make(chan struct{})
	go func() {
		cir.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned before the queue drained")
	case <-time.After(20 * time.Millisecond):
	}
	release()
	<-closed
	require.Len(t, got, 100, "what was queued before Close is delivered")
	for i, v := range got {
		require.Equal(t, i, v)
	}

	ch.Emit(100)
	ch.Emit(101)
	cir.Close() // idempotent
	cir.Await()
	assert.Len(t, got, 100, "emissions after Close are dropped")
	assert.Equal(t, uint64(2), cir.Dropped())
}

func TestCortexCloseClosesCircuits(t *testing.T) {
	cx := substrates.NewCortex()
	var logs [2][]string
	var chans [2]*substrates.Channel[int]
	for i, name := range []string{"one", "two"} {
		cd := substrates.NewConduit[int](cx.Circuit(name), "n")
		record(cd, &logs[i])
		chans[i] = cd.Channel("n")
	}
	chans[0].Emit(1)
	chans[1].Emit(2)
	cx.Close()
	assert.Equal(t, []string{"n:1"}, logs[0])
	assert.Equal(t, []string{"n:2"}, logs[1])
	cx.Close() // idempotent

	late := cx.Circuit("late")
	cd := substrates.NewConduit[int](late, "n")
	var got []string
	record(cd, &got)
	cd.Channel("n").Emit(3)
	late.Await()
	late.Close()
	assert.Empty(t, got, "a circuit made after Close is closed")
	assert.Equal(t, uint64(0), late.Dropped(), "nobody listens on a closed circuit's conduits")
}

func TestSubscriptionWindow(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("window")
	cd := substrates.NewConduit[int](cir, "w")
	ch := cd.Channel("c")
	var bystander []string
	record(cd, &bystander) // so that every emission below is queued

	release := hold(t, cir)
	ch.Emit(1) // before Subscribe: still queued when the subscription starts, not seen
	var got []string
	sub := record(cd, &got)
	ch.Emit(2) // between: seen, though dispatched after Close returned
	sub.Close()
	ch.Emit(3) // after Close: not seen
	release()
	cir.Await()
	assert.Equal(t, []string{"c:2"}, got)
	assert.Equal(t, []string{"c:1", "c:2", "c:3"}, bystander)

	sub.Close() // idempotent
	ch.Emit(4)
	cir.Await()
	assert.Equal(t, []string{"c:2"}, got)
}

func TestSubscribeIsSeenByTheNextEmit(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("fast-path")
	cd := substrates.NewConduit[int](cir, "w")
	ch := cd.Channel("c")

	ch.Emit(0) // nobody listens: not queued at all
	assert.False(t, cd.Subscribed())
	release := hold(t, cir)
	var got []string
	sub := record(cd, &got) // its registration waits in the queue...
	assert.True(t, cd.Subscribed())
	ch.Emit(1) // ...yet this emission must not be skipped
	release()
	cir.Await()
	assert.Equal(t, []string{"c:1"}, got)

	sub.Close()
	assert.False(t, cd.Subscribed())
	ch.Emit(2)
	cir.Await()
	assert.Equal(t, []string{"c:1"}, got)
}

func TestCloseFromInsidePipe(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("self-close")
	cd := substrates.NewConduit[int](cir, "n")
	ch := cd.Channel("n")
	var got []int
	var sub *substrates.Subscription
	subscribed := make(chan struct{})
	sub = cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) {
			<-subscribed
			got = append(got, v)
			if v == 2 {
				sub.Close() // takes effect after the work in hand, before 3
			}
		}))
	})
	close(subscribed)
	release := hold(t, cir)
	for i := 1; i <= 4; i++ {
		ch.Emit(i)
	}
	release()
	cir.Await()
	assert.Equal(t, []int{1, 2}, got)
}

func TestSubscriberMeetsEveryChannelOnce(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("channels")
	cd := substrates.NewConduit[int](cir, "c")
	early := cd.Channel("early")

	calls := map[string]int{}
	var got []string
	cd.Subscribe(func(s substrates.Subject, r substrates.Registrar[int]) {
		name := s.Name().String()
		calls[name]++
		r.Register(substrates.PipeFunc[int](func(v int) { got = append(got, fmt.Sprint(name, ":", v)) }))
	})
	late := cd.Channel("late")
	late.Emit(1)
	early.Emit(2)
	cir.Await()
	assert.Equal(t, map[string]int{"early": 1, "late": 1}, calls)
	assert.Equal(t, []string{"late:1", "early:2"}, got)

	// Subscribers and channels made concurrently still meet exactly once.
	const subscribers, channels = 4, 20
	met := make([]map[string]int, subscribers)
	var wg sync.WaitGroup
	for i := range subscribers {
		met[i] = map[string]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cd.Subscribe(func(s substrates.Subject, _ substrates.Registrar[int]) { met[i][s.Name().String()]++ })
		}()
	}
	for i := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cd.Channel(fmt.Sprint("ch", i))
		}()
	}
	wg.Wait()
	cir.Await()
	for i := range subscribers {
		assert.Len(t, met[i], channels+2)
		for name, n := range met[i] {
			assert.Equal(t, 1, n, "subscriber %d met %s %d times", i, name, n)
		}
	}
}

func TestChannelPool(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cd := substrates.NewConduit[int](cx.Circuit("pool"), "p")
	const workers = 8
	got := make([]*substrates.Channel[int], workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = cd.Channel("same")
		}()
	}
	wg.Wait()
	for _, ch := range got {
		assert.Same(t, got[0], ch)
	}
	assert.NotSame(t, got[0], cd.Channel("other"))
}

func TestPanickingPipeIsContained(t *testing.T) {
	type report struct {
		subject   substrates.Subject
		recovered any
	}
	var reports []report
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("panics", substrates.OnPanic(func(s substrates.Subject, r any) {
		reports = append(reports, report{s, r})
		panic("a panicking handler is swallowed too")
	}))
	cd := substrates.NewConduit[int](cir, "p")
	ch := cd.Channel("boom")
	var got []int
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) {
			if v == 2 {
				panic("two")
			}
		}))
		r.Register(substrates.PipeFunc[int](func(v int) { got = append(got, v) }))
	})
	assert.NotPanics(t, func() {
		ch.Emit(1)
		ch.Emit(2)
		ch.Emit(3)
	}, "the emitter never sees a pipe's panic")
	cir.Await()
	assert.Equal(t, []int{1, 2, 3}, got, "the other pipes still get the value, and the circuit goes on")
	assert.Equal(t, uint64(1), cir.Panics())
	require.Len(t, reports, 1)
	assert.Equal(t, ch.Subject(), reports[0].subject)
	assert.Equal(t, "two", reports[0].recovered)

	var registrar substrates.Registrar[int]
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		registrar = r
		panic("subscriber")
	})
	ch.Emit(4)
	cir.Await()
	assert.Equal(t, []int{1, 2, 3, 4}, got)
	assert.Equal(t, uint64(2), cir.Panics())
	assert.Equal(t, "subscriber", reports[1].recovered)
	assert.Panics(t, func() { registrar.Register(substrates.PipeFunc[int](func(int) {})) },
		"a registrar is dead once its subscriber returned")

	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(int) { cir.Await() }))
	})
	ch.Emit(5)
	cir.Await()
	assert.Equal(t, uint64(3), cir.Panics(), "Await from a pipe panics rather than deadlocks")

	quiet := cx.Circuit("quiet")
	qd := substrates.NewConduit[int](quiet, "q")
	qd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(int) { panic("counted only") }))
	})
	qd.Channel("q").Emit(1)
	quiet.Await()
	assert.Equal(t, uint64(1), quiet.Panics())
}

// poolsLeak is set where the steady state is known to allocate for reasons
// outside this package (generic_race_test.go).
var poolsLeak bool

func TestEmitAllocatesNothing(t *testing.T) {
	type sample struct {
		Seq   uint64
		Kind  uint8
		Value int64
	}
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("allocs")
	cd := substrates.NewConduit[sample](cir, "a")
	ch := cd.Channel("c")

	assert.Zero(t, testing.AllocsPerRun(1000, func() { ch.Emit(sample{Seq: 1}) }), "no subscriber")

	n := 0
	relay := substrates.NewConduit[sample](cir, "relay")
	relayed := relay.Channel("r")
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[sample]) {
		r.Register(substrates.PipeFunc[sample](relayed.Emit)) // transit path too
	})
	relay.Subscribe(func(_ substrates.Subject, r substrates.Registrar[sample]) {
		r.Register(substrates.PipeFunc[sample](func(sample) { n++ }))
	})
	burst := func() {
		for i := range 1000 {
			ch.Emit(sample{Seq: uint64(i)})
		}
	}
	burst() // grow the buffers once
	cir.Await()
	allocs := testing.AllocsPerRun(50, func() {
		burst()
		cir.Await()
	})
	if !poolsLeak {
		assert.Zero(t, allocs, "steady state with a subscriber, Await included")
	}
	assert.Equal(t, (1+1+50)*1000, n, "the first burst, AllocsPerRun's warm-up and its 50 runs")
}

func TestEmitAllKeepsOrderWithEmit(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("batch")
	cd := substrates.NewConduit[int](cir, "n")
	relay := substrates.NewConduit[int](cir, "relay")
	var got, relayed []int
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) {
			got = append(got, v)
			if v == 3 { // a batch emitted while dispatching runs before the next queued value
				relay.Channel("r").EmitAll([]int{-1, -2})
			}
		}))
	})
	relay.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) { relayed = append(relayed, v); got = append(got, v) }))
	})
	ch := cd.Channel("n")
	release := hold(t, cir)
	ch.Emit(0)
	batch := []int{1, 2, 3}
	ch.EmitAll(batch)
	batch[0] = 99 // EmitAll copied the values
	ch.EmitAll(nil)
	ch.Emit(4)
	ch.EmitAll([]int{5, 6})
	release()
	cir.Await()
	assert.Equal(t, []int{0, 1, 2, 3, -1, -2, 4, 5, 6}, got)
	assert.Equal(t, []int{-1, -2}, relayed)

	cir.Close()
	ch.EmitAll([]int{7, 8, 9})
	assert.Equal(t, uint64(3), cir.Dropped(), "a batch after Close is dropped and counted")
}

func TestSpinningCircuitClosesAtOnce(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("spin", substrates.SpinFor(10*time.Second))
	cd := substrates.NewConduit[int](cir, "s")
	n := 0
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(int) { n++ }))
	})
	ch := cd.Channel("s")
	for i := range 5 { // work every 50ms: the circuit then watches ~100ms for more
		ch.Emit(i)
		time.Sleep(50 * time.Millisecond)
	}
	ch.Emit(5)
	cir.Await()
	start := time.Now()
	cir.Close()
	assert.Less(t, time.Since(start), 50*time.Millisecond, "Close does not wait out the watch")
	assert.Equal(t, 6, n)
}
