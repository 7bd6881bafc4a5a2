package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/store"
)

// BenchmarkMonitoringCost measures what monitoring costs a Get and a Put
// (through a Table, as generated stores call it) on each engine: the same
// operation on two DBs, one with monitoring off and one with it on, in
// alternating blocks, so that both see the same machine at the same time.
// It reports each side's time and allocations per operation, and the
// median over the rounds of their ratio (on/off) and of their difference
// in nanoseconds, which a burst of load elsewhere on the machine does not
// move. Run it with -benchmem; the targets are a ratio of at most 1.03 on
// pebble and bbolt, at most 25 ns more on memory, and no more
// allocations.
func BenchmarkMonitoringCost(b *testing.B) {
	ctx := context.Background()
	for _, eng := range engines {
		for _, op := range []string{"get", "put"} {
			b.Run(eng.name+"/"+op, func(b *testing.B) {
				run := func(opts ...store.Option) func() {
					db, err := store.Open(eng.open(b), opts...)
					require.NoError(b, err)
					b.Cleanup(func() { db.Close() })
					accounts := store.NewTable(db, &accountSchema)
					rec := account{ID: "k1", Email: "e1", Team: "t", Age: 1}
					require.NoError(b, accounts.Put(ctx, rec))
					if op == "get" {
						return func() {
							if _, err := accounts.Get(ctx, "k1"); err != nil {
								b.Fatal(err)
							}
						}
					}
					return func() {
						rec.Age++
						if err := accounts.Put(ctx, rec); err != nil {
							b.Fatal(err)
						}
					}
				}
				off, on := run(store.WithMonitoring(false)), run()
				allocsOff, allocsOn := testing.AllocsPerRun(1000, off), testing.AllocsPerRun(1000, on)
				block := 1024
				if op == "put" && eng.name != "memory" {
					block = 64
				}
				var tOff, tOn time.Duration
				var ratios, extras []float64
				timed := func(f func()) time.Duration {
					start := time.Now()
					for range block {
						f()
					}
					return time.Since(start)
				}
				n := 0
				b.ResetTimer()
				for round := 0; n < b.N; round++ {
					// Each side goes first every other round.
					var dOff, dOn time.Duration
					if round%2 == 0 {
						dOff, dOn = timed(off), timed(on)
					} else {
						dOn, dOff = timed(on), timed(off)
					}
					tOff, tOn = tOff+dOff, tOn+dOn
					ratios = append(ratios, float64(dOn)/float64(dOff))
					extras = append(extras, float64(dOn-dOff)/float64(block))
					n += 2 * block
				}
				b.StopTimer()
				per := float64(n / 2)
				b.ReportMetric(float64(tOff.Nanoseconds())/per, "off-ns/op")
				b.ReportMetric(float64(tOn.Nanoseconds())/per, "on-ns/op")
				b.ReportMetric(median(ratios), "on/off")
				b.ReportMetric(median(extras), "extra-ns/op")
				b.ReportMetric(allocsOff, "off-allocs/op")
				b.ReportMetric(allocsOn, "on-allocs/op")
			})
		}
	}
}

// BenchmarkStatus asks a busy store for its Status: the target is under a
// microsecond. A slot turns every 100 ms, so most calls read the last
// judgement and some judge a window.
func BenchmarkStatus(b *testing.B) {
	_, accounts := busyStore(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = accounts.Status()
	}
}

// BenchmarkPerformance asks a busy store, and the DB, for their
// Performance: the target is under 10 µs.
func BenchmarkPerformance(b *testing.B) {
	db, accounts := busyStore(b)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = accounts.Performance()
		}
	})
	b.Run("db", func(b *testing.B) {
		_ = db.Resources() // the reading of the backend's figures Performance reuses
		b.ReportAllocs()
		for b.Loop() {
			_ = db.Performance()
		}
	})
}

// busyStore returns a memory store with a second of operations behind it.
func busyStore(b *testing.B) (*store.DB, *store.Table[string, account]) {
	ctx := context.Background()
	db, err := store.Open(engines[0].open(b))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	accounts := store.NewTable(db, &accountSchema)
	require.NoError(b, accounts.Put(ctx, account{ID: "k"}))
	for start := time.Now(); time.Since(start) < time.Second; {
		for range 100 {
			_, _ = accounts.Get(ctx, "k")
		}
		time.Sleep(time.Millisecond)
	}
	return db, accounts
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}
