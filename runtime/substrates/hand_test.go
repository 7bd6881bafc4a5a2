package substrates_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/substrates"
)

func TestHandKeepsOrderAndGivesSlicesBack(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("hand")
	cd := substrates.NewConduit[int](cir, "n")
	relay := substrates.NewConduit[int](cir, "relay")
	var got, second []int
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) {
			got = append(got, v)
			switch v {
			case 2:
				panic("two")
			case 3: // transit work runs before the batch's next value
				relay.Channel("r").Emit(-3)
			}
		}))
		r.Register(substrates.PipeFunc[int](func(v int) { second = append(second, v) }))
	})
	relay.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.PipeFunc[int](func(v int) { got = append(got, v) }))
	})
	ch := cd.Channel("n")

	release := hold(t, cir)
	ch.Emit(0)
	first := []int{1, 2, 3, 4}
	assert.Nil(t, ch.Hand(first), "nothing was given back yet")
	ch.Emit(5)
	assert.Nil(t, ch.Hand([]int{6, 7}))
	assert.Empty(t, ch.Hand(nil))
	release()
	cir.Await()
	assert.Equal(t, []int{0, 1, 2, 3, -3, 4, 5, 6, 7}, got, "in the order queued, transit work included")
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, second, "a panicking pipe costs the others nothing")
	assert.Equal(t, uint64(1), cir.Panics())
	assert.Equal(t, []int{0, 0, 0, 0}, first, "a delivered slice is cleared")

	next := ch.Hand([]int{8})
	require.NotNil(t, next, "a delivered slice comes back")
	assert.Empty(t, next)
	assert.GreaterOrEqual(t, cap(next), 2)
	cir.Await()

	cir.Close()
	dropped := []int{9, 10, 11}
	next = ch.Hand(dropped)
	assert.Equal(t, uint64(3), cir.Dropped(), "a batch after Close is dropped and counted")
	assert.Empty(t, next)
	assert.Equal(t, cap(dropped), cap(next), "the caller gets its own slice back")
	assert.Equal(t, []int{8}, got[len(got)-1:])
}

func TestHandDeliversDirectlyWhenIdle(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("direct", substrates.DirectAfter(0))
	cd := substrates.NewConduit[int](cir, "d")
	var rec recorder
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[int]) {
		r.Register(substrates.DirectFunc[int](rec.add))
	})
	ch := cd.Channel("d")
	emitted, direct := emitIdle(t, ch, &rec, 200, func(es []int) {
		next := ch.Hand(es)
		assert.Empty(t, next)
	})
	cir.Await()
	vs, _ := rec.values()
	assert.Equal(t, emitted, vs)
	assert.GreaterOrEqual(t, direct, 0, "an idle circuit lets the emitter deliver")
}

func TestHandFromManyGoroutines(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("many")
	type pair struct{ g, i int }
	cd := substrates.NewConduit[pair](cir, "p")
	last := map[int]int{}
	n := 0
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[pair]) {
		r.Register(substrates.PipeFunc[pair](func(p pair) {
			if prev, ok := last[p.g]; ok && p.i != prev+1 {
				t.Errorf("goroutine %d: %d after %d", p.g, p.i, prev)
			}
			last[p.g] = p.i
			n++
		}))
	})
	ch := cd.Channel("p")
	const goroutines, batches, size = 4, 200, 10
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			var buf []pair
			for b := range batches {
				for i := range size {
					buf = append(buf, pair{g, b*size + i})
				}
				buf = ch.Hand(buf)
			}
		})
	}
	wg.Wait()
	cir.Await()
	assert.Equal(t, goroutines*batches*size, n)
}

func TestHandAllocatesNothing(t *testing.T) {
	type sample struct {
		Seq  uint64
		Name string
	}
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("allocs")
	cd := substrates.NewConduit[sample](cir, "a")
	ch := cd.Channel("c")
	n := 0
	cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[sample]) {
		r.Register(substrates.PipeFunc[sample](func(sample) { n++ }))
	})
	var buf []sample
	batch := func() {
		for i := range 100 {
			buf = append(buf, sample{Seq: uint64(i), Name: "x"})
		}
		buf = ch.Hand(buf)
	}
	for range 8 { // fill the spare list
		batch()
	}
	cir.Await()
	allocs := testing.AllocsPerRun(50, func() {
		batch()
		batch()
		cir.Await()
	})
	if !poolsLeak {
		assert.Zero(t, allocs, "steady state, Await included")
	}
	assert.Equal(t, (8+2+2*50)*100, n)
}
