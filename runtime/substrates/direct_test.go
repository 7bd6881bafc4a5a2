package substrates_test

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/substrates"
)

// goid returns the calling goroutine's id, read off its stack trace.
func goid() int {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, _ := strconv.Atoi(string(buf[:bytes.IndexByte(buf, ' ')]))
	return id
}

// delivery is what a pipe saw: the value and the goroutine it ran on.
type delivery struct{ v, g int }

type recorder struct {
	mu  sync.Mutex
	got []delivery
}

func (r *recorder) add(v int) {
	r.mu.Lock()
	r.got = append(r.got, delivery{v, goid()})
	r.mu.Unlock()
}

func (r *recorder) values() (vs []int, gs []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.got {
		vs, gs = append(vs, d.v), append(gs, d.g)
	}
	return vs, gs
}

// emitIdle emits batches on ch, with EmitAll or else with emit, pausing
// between them so that the circuit falls asleep, until one of them is
// delivered on the calling goroutine or tries run out. It returns the
// values emitted and the batch delivered directly (-1 if none).
func emitIdle(t *testing.T, ch *substrates.Channel[int], rec *recorder, tries int, emit ...func([]int)) (emitted []int, direct int) {
	t.Helper()
	me := goid()
	for i := range tries {
		time.Sleep(2 * time.Millisecond) // the dispatcher spins a little, then sleeps
		batch := []int{2 * i, 2*i + 1}
		n := len(emitted)
		emitted = append(emitted, batch...)
		if len(emit) > 0 {
			emit[0](batch)
		} else {
			ch.EmitAll(batch)
		}
		if vs, gs := rec.values(); len(vs) == len(emitted) && gs[n] == me && gs[n+1] == me {
			return emitted, i
		}
	}
	return emitted, -1
}

func TestDirectPipesRunOnTheEmitterWhenIdle(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("direct", substrates.DirectAfter(0))
	cd := substrates.NewConduit[int](cir, "d")
	var first, second recorder
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.DirectFunc[int](first.add))
		r.Register(substrates.DirectFunc[int](second.add))
	})
	ch := cd.Channel("d")
	emitted, direct := emitIdle(t, ch, &first, 200)
	require.NotEqual(t, -1, direct, "an idle circuit never let the emitter deliver")
	cir.Await()
	got, _ := first.values()
	assert.Equal(t, emitted, got, "every value once, in order, whoever delivered it")
	got, _ = second.values()
	assert.Equal(t, emitted, got)
}

func TestQueuedPipesKeepTheCircuitsGoroutine(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	for name, tc := range map[string]struct {
		opts  []substrates.CircuitOption
		mixed bool
	}{
		"direct pipe beside a queued one": {opts: []substrates.CircuitOption{substrates.DirectAfter(0)}, mixed: true},
		"DirectAfter(-1)":                 {opts: []substrates.CircuitOption{substrates.DirectAfter(-1)}},
	} {
		t.Run(name, func(t *testing.T) {
			cir := cx.Circuit(name, tc.opts...)
			defer cir.Close()
			cd := substrates.NewConduit[int](cir, "q")
			var rec, other recorder
			cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
				r.Register(substrates.DirectFunc[int](rec.add))
				if tc.mixed {
					r.Register(substrates.PipeFunc[int](other.add))
				}
			})
			emitted, direct := emitIdle(t, cd.Channel("q"), &rec, 20)
			assert.Equal(t, -1, direct, "delivered on the emitter's goroutine")
			cir.Await()
			got, _ := rec.values()
			assert.Equal(t, emitted, got)
		})
	}
}

func TestDirectPipesTransitAndPanics(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	var panics []any
	cir := cx.Circuit("direct-transit", substrates.DirectAfter(0),
		substrates.OnPanic(func(_ substrates.Subject, r any) { panics = append(panics, r) }))
	cd := substrates.NewConduit[int](cir, "d")
	relay := substrates.NewConduit[int](cir, "relay")
	relayCh := relay.Channel("r")
	var rec recorder
	var relayed []delivery // circuit's goroutine only
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.DirectFunc[int](func(v int) {
			if v%2 == 1 {
				panic("odd")
			}
		}))
		r.Register(substrates.DirectFunc[int](func(v int) {
			rec.add(v)
			relayCh.Emit(-v) // transit: the relay's pipe is not direct
		}))
	})
	relay.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) { relayed = append(relayed, delivery{v, goid()}) }))
	})
	ch := cd.Channel("d")
	me := goid()
	var emitted []int
	direct := -1
	assert.NotPanics(t, func() { emitted, direct = emitIdle(t, ch, &rec, 200) })
	require.NotEqual(t, -1, direct, "an idle circuit never let the emitter deliver")
	relayCh.Emit(1000) // queued after every batch and its transit
	cir.Await()

	got, _ := rec.values()
	assert.Equal(t, emitted, got, "a panicking pipe skips to the next, and delivery goes on")
	require.Len(t, relayed, len(emitted)+1)
	for i, v := range emitted {
		assert.Equal(t, -v, relayed[i].v, "transit in the order it was made")
		assert.NotEqual(t, me, relayed[i].g, "transit from a direct pipe runs on the circuit's goroutine")
	}
	assert.Equal(t, 1000, relayed[len(emitted)].v, "transit goes ahead of what was queued after it")
	assert.Len(t, panics, len(emitted)/2)
	assert.Equal(t, uint64(len(emitted)/2), cir.Panics())
}

// TestDirectOnlyAfterIdle checks that a batch that follows a direct one
// within DirectAfter goes to the circuit's goroutine: a stream is load.
func TestDirectOnlyAfterIdle(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("idle", substrates.DirectAfter(200*time.Millisecond))
	cd := substrates.NewConduit[int](cir, "d")
	var rec recorder
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.DirectFunc[int](rec.add))
	})
	ch := cd.Channel("d")
	ch.EmitAll([]int{0})
	cir.Await()
	time.Sleep(250 * time.Millisecond) // idle long enough
	me := goid()
	ch.EmitAll([]int{1})
	ch.EmitAll([]int{2}) // at once: not idle
	cir.Await()
	vs, gs := rec.values()
	require.Equal(t, []int{0, 1, 2}, vs)
	assert.NotEqual(t, me, gs[0], "the first batch of a new circuit is queued: it was not idle")
	assert.Equal(t, me, gs[1], "after an idle spell the emitter delivers")
	assert.NotEqual(t, me, gs[2], "a batch right after a direct one is queued")
}
