package bolthold_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/timshannon/bolthold"
	bolt "go.etcd.io/bbolt"

	"github.com/synapsed/storegen/bench/record"
	"github.com/synapsed/storegen/internal/cputime"
	"github.com/synapsed/storegen/runtime/backend/bbolt"
	"github.com/synapsed/storegen/runtime/store"
)

// Every benchmark comes in a pair, bolthold and storegen, doing the same
// work on the same records, each side on a bbolt file of its own. Both
// commit without syncing, so that the figures are the libraries' work and
// not the disk's. bolthold runs with its defaults (gob values).

const (
	records = 10_000 // records loaded for Get and ListByStatus
	batch   = 1_000  // records put in one transaction
)

// listed is the status ListByStatus asks for; record.Sample spreads the
// records evenly over record.Statuses.
var listed = record.Statuses[3]

func openBolthold(b *testing.B, path string) *bolthold.Store {
	b.Helper()
	s, err := bolthold.Open(path, 0o600, &bolthold.Options{Options: &bolt.Options{NoSync: true}})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func openStoregen(b *testing.B, path string) (*store.DB, *record.OrderStore) {
	b.Helper()
	be, err := bbolt.Open(path, bbolt.NoSync())
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(be)
	if err != nil {
		b.Fatal(err)
	}
	return db, record.NewOrderStore(db)
}

func samples(from, to int) []record.Order {
	vs := make([]record.Order, 0, to-from)
	for i := from; i < to; i++ {
		vs = append(vs, record.Sample(i))
	}
	return vs
}

// load writes the benchmark's records into a bolthold file and a
// storegen file, and closes them.
func load(b *testing.B, bhFile, sgFile string) {
	b.Helper()
	bh := openBolthold(b, bhFile)
	db, sg := openStoregen(b, sgFile)
	ctx := context.Background()
	for from := 0; from < records; from += batch {
		vs := samples(from, from+batch)
		err := bh.Bolt().Update(func(tx *bolt.Tx) error {
			for i := range vs {
				if err := bh.TxUpsert(tx, vs[i].ID, &vs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := sg.PutAll(ctx, vs); err != nil {
			b.Fatal(err)
		}
	}
	if err := bh.Close(); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// loaded returns both stores holding the benchmark's records, each read
// once so that its file's pages are in memory.
func loaded(b *testing.B) (*bolthold.Store, *record.OrderStore) {
	b.Helper()
	dir := b.TempDir()
	bhFile, sgFile := filepath.Join(dir, "bolthold.bolt"), filepath.Join(dir, "storegen.bolt")
	load(b, bhFile, sgFile)
	bh := openBolthold(b, bhFile)
	b.Cleanup(func() { _ = bh.Close() })
	db, sg := openStoregen(b, sgFile)
	b.Cleanup(func() { _ = db.Close() })
	var all []record.Order
	if err := bh.Find(&all, nil); err != nil || len(all) != records {
		b.Fatalf("bolthold holds %d records (%v), want %d", len(all), err, records)
	}
	n := 0
	for _, err := range sg.Scan(context.Background()) {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != records {
		b.Fatalf("storegen holds %d records, want %d", n, records)
	}
	return bh, sg
}

func BenchmarkGet(b *testing.B) {
	bh, sg := loaded(b)
	ids := record.ShuffledKeys(records)
	b.Run("bolthold", func(b *testing.B) {
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for i := 0; b.Loop(); i++ {
			var v record.Order
			if err := bh.Get(ids[i%records], &v); err != nil || v.ID != ids[i%records] {
				b.Fatal(err, v.ID)
			}
		}
	})
	b.Run("storegen", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for i := 0; b.Loop(); i++ {
			v, err := sg.Get(ctx, ids[i%records])
			if err != nil || v.ID != ids[i%records] {
				b.Fatal(err, v.ID)
			}
		}
	})
}

// BenchmarkPut1000 puts batch new records in one transaction into an empty
// file, a new one for every iteration (made and removed with the timer
// stopped). Both sides keep a unique index on Email and a plain one on
// Status.
func BenchmarkPut1000(b *testing.B) {
	vs := samples(0, batch)
	b.Run("bolthold", func(b *testing.B) { putBolthold(b, "", vs) })
	b.Run("storegen", func(b *testing.B) { putStoregen(b, "", vs) })
}

// BenchmarkPut1000Loaded is BenchmarkPut1000 on a file that already holds
// the benchmark's records: every iteration copies it, with the timer
// stopped, and puts batch more.
func BenchmarkPut1000Loaded(b *testing.B) {
	dir := b.TempDir()
	bhFile, sgFile := filepath.Join(dir, "bolthold.bolt"), filepath.Join(dir, "storegen.bolt")
	load(b, bhFile, sgFile)
	vs := samples(records, records+batch)
	b.Run("bolthold", func(b *testing.B) { putBolthold(b, bhFile, vs) })
	b.Run("storegen", func(b *testing.B) { putStoregen(b, sgFile, vs) })
}

func putBolthold(b *testing.B, from string, vs []record.Order) {
	put := func(path string) (func() error, func() error) {
		bh := openBolthold(b, path)
		return func() error {
			return bh.Bolt().Update(func(tx *bolt.Tx) error {
				for i := range vs {
					if err := bh.TxUpsert(tx, vs[i].ID, &vs[i]); err != nil {
						return err
					}
				}
				return nil
			})
		}, bh.Close
	}
	putEach(b, from, put)
}

func putStoregen(b *testing.B, from string, vs []record.Order) {
	ctx := context.Background()
	put := func(path string) (func() error, func() error) {
		db, sg := openStoregen(b, path)
		return func() error { return sg.PutAll(ctx, vs) }, db.Close
	}
	putEach(b, from, put)
}

// putEach times one put per iteration on a file of its own: a copy of
// from, or a new file when from is "". open returns the put and the
// close of the file.
func putEach(b *testing.B, from string, open func(path string) (put, close func() error)) {
	b.ReportAllocs()
	m := cputime.Start(b)
	defer m.Report()
	for range b.N {
		b.StopTimer()
		m.Stop()
		path := filepath.Join(b.TempDir(), "put.bolt")
		if from != "" {
			copyFile(b, from, path)
		}
		put, close := open(path)
		m.Resume()
		b.StartTimer()
		if err := put(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.Stop()
		if err := close(); err != nil {
			b.Fatal(err)
		}
		_ = os.Remove(path)
		m.Resume()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
}

func copyFile(b *testing.B, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListByStatus lists the records holding one value of the plain
// Status index: a tenth of the records, read into a new slice as bolthold's
// Find returns them.
func BenchmarkListByStatus(b *testing.B) {
	bh, sg := loaded(b)
	want := records / len(record.Statuses)
	b.Run("bolthold", func(b *testing.B) {
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			var out []record.Order
			q := bolthold.Where("Status").Eq(listed).Index("Status")
			if err := bh.Find(&out, q); err != nil || len(out) != want {
				b.Fatal(err, len(out))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*want), "ns/record")
	})
	b.Run("storegen", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			var out []record.Order
			for v, err := range sg.ListByStatus(ctx, listed) {
				if err != nil {
					b.Fatal(err)
				}
				out = append(out, v)
			}
			if len(out) != want {
				b.Fatal(len(out))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*want), "ns/record")
	})
}
