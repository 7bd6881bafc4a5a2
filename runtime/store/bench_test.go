package store_test

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/internal/cputime"
	"github.com/synapsed/storegen/runtime/store"
)

// clocks returns the processor time the calling thread (see cputime.Thread)
// and the whole process have used; zero where they are not measured.
func clocks() (thread, process time.Duration) {
	thread, _ = cputime.Thread()
	process, _ = cputime.Process()
	return thread, process
}

// BenchmarkPutWatched compares 100-put transactions with no watcher against
// one active watcher that drains its channel, per engine. Report is per put.
func BenchmarkPutWatched(b *testing.B) {
	for _, eng := range engines {
		for _, watched := range []bool{false, true} {
			name := eng.name + "/unwatched"
			if watched {
				name = eng.name + "/watched"
			}
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				db, err := store.Open(eng.open(b))
				require.NoError(b, err)
				defer db.Close()
				accounts := store.NewTable(db, &accountSchema)
				if watched {
					sub := accounts.Watch(ctx, store.Buffer(1<<16)) // room for bursts: the watcher drains, it does not drop
					defer sub.Close()
					go func() {
						for range sub.C() {
						}
					}()
				}
				recs := make([]account, 100)
				for i := range recs {
					recs[i] = account{ID: "k" + strconv.Itoa(i), Email: "e" + strconv.Itoa(i), Team: "t", Age: i}
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i += len(recs) {
					if err := db.Update(ctx, func(tx *store.Tx) error {
						in := accounts.In(tx)
						for j := range recs {
							recs[j].Age = i
							if err := in.Put(recs[j]); err != nil {
								return err
							}
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				db.Circuit().Await()
			})
		}
	}
}

// BenchmarkWatcherOverhead is BenchmarkPutWatched measured in alternating
// chunks, so that a change in the machine's speed reaches both sides: per
// engine, one DB without a watcher and one with a watcher that drains its
// channel take turns at 20 transactions of 100 puts; between turns the
// watcher catches up, outside the timing. It reports the time per put of
// each side, the difference (added-ns/put) and their ratio, and, on Linux,
// what the watcher adds to the CPU time of the whole process while the
// chunks run (process-cpu-added-ns/put): the writer's, the circuit's, the
// watcher's and the garbage collector's.
func BenchmarkWatcherOverhead(b *testing.B) { watcherOverhead(b, false) }

// BenchmarkWatcherWriterCPU is BenchmarkWatcherOverhead with the writing
// goroutine locked to its OS thread, so that, on Linux, it also reports
// the CPU time the writer itself spent per put on each side, read from its
// thread's clock, and the difference (writer-cpu-added-ns/put): the part of
// added-ns/put that the writer's own work costs. The rest is what the
// circuit's and the watcher's goroutines cost the writer by competing for
// the machine's cores and locks. The lock makes every yield of the writer
// dearer (its thread must hand its processor over and get it back), so the
// times per put are BenchmarkWatcherOverhead's to quote.
func BenchmarkWatcherWriterCPU(b *testing.B) { watcherOverhead(b, true) }

func watcherOverhead(b *testing.B, lockThread bool) {
	const perTx, txs = 100, 20
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			if lockThread {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			ctx := context.Background()
			type side struct {
				db       *store.DB
				accounts *store.Table[string, account]
				recs     []account
				took     time.Duration
				cpu      time.Duration // the writer's thread CPU time
				proc     time.Duration // the process's CPU time
			}
			open := func() *side {
				db, err := store.Open(eng.open(b))
				require.NoError(b, err)
				s := &side{db: db, accounts: store.NewTable(db, &accountSchema), recs: make([]account, perTx)}
				for i := range s.recs {
					s.recs[i] = account{ID: "k" + strconv.Itoa(i), Email: "e" + strconv.Itoa(i), Team: "t"}
				}
				return s
			}
			bare, watched := open(), open()
			defer bare.db.Close()
			defer watched.db.Close()
			sub := watched.accounts.Watch(ctx, store.Buffer(1<<16)) // room for bursts: the watcher drains, it does not drop
			defer sub.Close()
			var received atomic.Int64
			go func() {
				for range sub.C() {
					received.Add(1)
				}
			}()
			round := 0
			run := func(s *side) {
				cpu0, proc0 := clocks()
				start := time.Now()
				for range txs {
					round++
					if err := s.db.Update(ctx, func(tx *store.Tx) error {
						in := s.accounts.In(tx)
						for j := range s.recs {
							s.recs[j].Age = round
							if err := in.Put(s.recs[j]); err != nil {
								return err
							}
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				s.took += time.Since(start)
				cpu1, proc1 := clocks()
				s.cpu += cpu1 - cpu0
				s.proc += proc1 - proc0
			}
			run(bare)
			run(watched) // warm both
			bare.took, watched.took = 0, 0
			bare.cpu, watched.cpu = 0, 0
			bare.proc, watched.proc = 0, 0
			published := int64(txs * perTx)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				run(bare)
				run(watched)
				published += txs * perTx
				b.StopTimer()
				watched.db.Circuit().Await()
				for received.Load()+int64(sub.Dropped()) < published {
					runtime.Gosched()
				}
				b.StartTimer()
				n += txs * perTx
			}
			bareNs := float64(bare.took.Nanoseconds()) / float64(n)
			watchedNs := float64(watched.took.Nanoseconds()) / float64(n)
			b.ReportMetric(bareNs, "unwatched-ns/put")
			b.ReportMetric(watchedNs, "watched-ns/put")
			b.ReportMetric(watchedNs-bareNs, "added-ns/put")
			b.ReportMetric(watchedNs/bareNs, "ratio")
			if _, ok := cputime.Process(); ok {
				perPut := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
				b.ReportMetric(perPut(watched.proc-bare.proc), "process-cpu-added-ns/put")
				if _, ok := cputime.Thread(); ok && lockThread {
					b.ReportMetric(perPut(bare.cpu), "unwatched-cpu-ns/put")
					b.ReportMetric(perPut(watched.cpu), "watched-cpu-ns/put")
					b.ReportMetric(perPut(watched.cpu-bare.cpu), "writer-cpu-added-ns/put")
				}
			}
		})
	}
}

// BenchmarkCommitToReceipt measures the time from a commit (the event's
// Time, stamped when the transaction publishes) to the event arriving on a
// subscriber's channel, at about 100k events/s (100 events per 1 ms
// transaction), and reports p50, p90 and p99.
func BenchmarkCommitToReceipt(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(engines[0].open(b))
	require.NoError(b, err)
	defer db.Close()
	accounts := store.NewTable(db, &accountSchema)
	sub := accounts.Watch(ctx, store.Buffer(1<<16))
	defer sub.Close()

	lat := make(chan []time.Duration)
	go func() {
		ds := make([]time.Duration, 0, b.N+100) // growing it would stall receipt
		for e := range sub.C() {
			ds = append(ds, time.Since(e.Time))
		}
		lat <- ds
	}()

	recs := make([]account, 100)
	for i := range recs {
		recs[i] = account{ID: "k" + strconv.Itoa(i), Email: "e" + strconv.Itoa(i)}
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i += len(recs) {
		<-tick.C
		if err := accounts.PutAll(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	db.Circuit().Await()
	sub.Close()
	ds := <-lat
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*90/100].Microseconds()), "p90-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkHandoffBaseline is BenchmarkCommitToReceipt's baseline: the same
// pacing (100 values every millisecond) through nothing but a buffered Go
// channel to a goroutine ranging over it, timed from the send to the
// receipt. Its p99 is what waking a parked goroutine costs on the machine,
// a floor for any commit-to-receipt latency.
func BenchmarkHandoffBaseline(b *testing.B) {
	ch := make(chan time.Time, 1<<16)
	lat := make(chan []time.Duration)
	go func() {
		ds := make([]time.Duration, 0, b.N+100) // growing it would stall receipt
		for t := range ch {
			ds = append(ds, time.Since(t))
		}
		lat <- ds
	}()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i += 100 {
		<-tick.C
		now := time.Now()
		for range 100 {
			ch <- now
		}
	}
	b.StopTimer()
	close(ch)
	ds := <-lat
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}
