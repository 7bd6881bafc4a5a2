package store_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/store"
)

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
					sub := accounts.Watch(ctx)
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

// BenchmarkCommitToReceipt measures the time from a commit (the event's
// Time, stamped when the transaction publishes) to the event arriving on a
// subscriber's channel, at about 100k events/s (100 events per 1 ms
// transaction), and reports p50 and p99.
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
		var ds []time.Duration
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
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}
