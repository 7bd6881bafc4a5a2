package substrates_test

import (
	"fmt"
	"testing"

	"github.com/synapsed/storegen/runtime/substrates"
)

// benchEvent stands in for a change event: 24 bytes, copied by value.
type benchEvent struct {
	Seq   uint64
	Kind  uint8
	Value int64
}

// BenchmarkEmit measures Channel.Emit without subscribers, its cost to the
// caller with one, and end to end (emits plus the Await that sees them
// delivered) with 1 and 16 subscriptions. Compare events/s with
// BenchmarkChannelHandoff from the same run.
func BenchmarkEmit(b *testing.B) {
	b.Run("no-subscriber", func(b *testing.B) {
		cx := substrates.NewCortex()
		defer cx.Close()
		ch := substrates.NewConduit[benchEvent](cx.Circuit("bench"), "events").Channel("users")
		b.ReportAllocs()
		for i := range b.N {
			ch.Emit(benchEvent{Seq: uint64(i)})
		}
	})
	b.Run("one-subscriber-queued", func(b *testing.B) {
		// What Emit costs the caller, without the circuit's goroutine
		// competing for the queue: it is held in a pipe while a round of
		// emissions is timed, then released and awaited, untimed.
		cx := substrates.NewCortex()
		defer cx.Close()
		cir := cx.Circuit("bench")
		cd := substrates.NewConduit[benchEvent](cir, "events")
		ch := cd.Channel("users")
		var n uint64
		cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[benchEvent]) {
			r.Register(substrates.PipeFunc[benchEvent](func(e benchEvent) { n += uint64(e.Kind) + 1 }))
		})
		holds := substrates.NewConduit[chan struct{}](cir, "hold")
		entered := make(chan struct{})
		holds.Subscribe(func(_ substrates.Subject, r substrates.Registrar[chan struct{}]) {
			r.Register(substrates.PipeFunc[chan struct{}](func(gate chan struct{}) {
				entered <- struct{}{}
				<-gate
			}))
		})
		hold := holds.Channel("hold")
		const round = 4096
		b.ReportAllocs()
		b.StopTimer()
		for done := 0; done < b.N; done += round {
			gate := make(chan struct{})
			hold.Emit(gate)
			<-entered
			b.StartTimer()
			for i := range min(round, b.N-done) {
				ch.Emit(benchEvent{Seq: uint64(done + i)})
			}
			b.StopTimer()
			close(gate)
			cir.Await()
		}
		if n != uint64(b.N) {
			b.Fatalf("saw %d events, want %d", n, b.N)
		}
	})
	for _, subscribers := range []int{1, 16} {
		name := "one-subscriber"
		if subscribers > 1 {
			name = fmt.Sprint(subscribers, "-subscribers")
		}
		b.Run(name, func(b *testing.B) {
			cx := substrates.NewCortex()
			defer cx.Close()
			cir := cx.Circuit("bench")
			cd := substrates.NewConduit[benchEvent](cir, "events")
			ch := cd.Channel("users")
			counts := make([]uint64, subscribers)
			for i := range subscribers {
				cd.Subscribe(func(_ substrates.Subject, r substrates.Registrar[benchEvent]) {
					r.Register(substrates.PipeFunc[benchEvent](func(e benchEvent) { counts[i] += uint64(e.Kind) + 1 }))
				})
			}
			ch.Emit(benchEvent{}) // the subscriptions are in place after this Await
			cir.Await()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				ch.Emit(benchEvent{Seq: uint64(i)})
			}
			cir.Await()
			b.StopTimer()
			for i, n := range counts {
				if n != uint64(b.N)+1 {
					b.Fatalf("subscriber %d saw %d events, want %d", i, n, b.N+1)
				}
			}
			perSubscriber := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(perSubscriber, "events/s")
			if subscribers > 1 {
				b.ReportMetric(perSubscriber*float64(subscribers), "pipe-calls/s")
			}
		})
	}
}

// BenchmarkChannelHandoff is the baseline: one goroutine sends the same
// events over a buffered Go channel to another that receives them.
func BenchmarkChannelHandoff(b *testing.B) {
	ch := make(chan benchEvent, 1024)
	done := make(chan uint64)
	go func() {
		var n uint64
		for e := range ch {
			n += uint64(e.Kind) + 1
		}
		done <- n
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ch <- benchEvent{Seq: uint64(i)}
	}
	close(ch)
	n := <-done
	b.StopTimer()
	if n != uint64(b.N) {
		b.Fatalf("received %d events, want %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
