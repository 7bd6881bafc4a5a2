package pebble

import (
	"context"
	"fmt"
	"testing"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/synapsed/storegen/internal/cputime"
	"github.com/synapsed/storegen/runtime/backend"
)

// The benchmarks come in pairs, native and backend, that do the same work
// on the same data: once with Pebble's own API and once through the
// backend.Backend interface. bench/ratios prints the ratio of each pair.

const (
	benchKeys  = 10_000 // keys loaded for Get and Range
	benchBatch = 1_000  // keys written per transaction, and scanned per range
	benchValue = 100    // value size in bytes
)

func benchKey(i int) []byte { return fmt.Appendf(nil, "key%08d", i) }

func benchValueBytes() []byte {
	v := make([]byte, benchValue)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}

// openLoaded opens a database holding benchKeys keys, flushed to table
// files and read once so that the block cache is warm.
func openLoaded(b *testing.B) *Backend {
	b.Helper()
	be, err := Open(b.TempDir(), NoSync())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	value := benchValueBytes()
	err = be.Update(context.Background(), func(tx backend.Txn) error {
		for i := range benchKeys {
			if err := tx.Set(benchKey(i), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := be.db.Flush(); err != nil {
		b.Fatal(err)
	}
	it, err := be.db.NewIter(nil)
	if err != nil {
		b.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		_ = it.Value()
	}
	if err := it.Close(); err != nil {
		b.Fatal(err)
	}
	return be
}

func BenchmarkGet(b *testing.B) {
	be := openLoaded(b)
	keys := make([][]byte, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	b.Run("native", func(b *testing.B) {
		buf := make([]byte, 0, benchValue)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for i := 0; b.Loop(); i++ {
			v, closer, err := be.db.Get(keys[i%benchKeys])
			if err != nil {
				b.Fatal(err)
			}
			buf = append(buf[:0], v...)
			if err := closer.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend", func(b *testing.B) {
		var iface backend.Backend = be
		ctx := context.Background()
		buf := make([]byte, 0, benchValue)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for i := 0; b.Loop(); i++ {
			var err error
			buf, err = iface.Get(ctx, keys[i%benchKeys], buf[:0])
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSet1000 writes benchBatch keys in one transaction. Both sides
// commit without syncing, so the figure is the engine's work rather than
// the disk's fsync latency, which would hide any difference. Each side has
// a database of its own so that neither inherits the other's memtable and
// compaction backlog.
func BenchmarkSet1000(b *testing.B) {
	keys := make([][]byte, benchBatch)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	value := benchValueBytes()
	b.Run("native", func(b *testing.B) {
		be, err := Open(b.TempDir(), NoSync())
		if err != nil {
			b.Fatal(err)
		}
		defer be.Close()
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			batch := be.db.NewBatch()
			for _, k := range keys {
				if err := batch.Set(k, value, nil); err != nil {
					b.Fatal(err)
				}
			}
			if err := batch.Commit(pebbledb.NoSync); err != nil {
				b.Fatal(err)
			}
			if err := batch.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend", func(b *testing.B) {
		be, err := Open(b.TempDir(), NoSync())
		if err != nil {
			b.Fatal(err)
		}
		defer be.Close()
		var iface backend.Backend = be
		ctx := context.Background()
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			err := iface.Update(ctx, func(tx backend.Txn) error {
				for _, k := range keys {
					if err := tx.Set(k, value); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRange1000 scans benchBatch consecutive keys forward, reading
// each key and value.
func BenchmarkRange1000(b *testing.B) {
	be := openLoaded(b)
	lo, hi := benchKey(benchKeys/2), benchKey(benchKeys/2+benchBatch)
	b.Run("native", func(b *testing.B) {
		snap := be.db.NewSnapshot()
		defer snap.Close()
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			it, err := snap.NewIter(&pebbledb.IterOptions{LowerBound: lo, UpperBound: hi})
			if err != nil {
				b.Fatal(err)
			}
			n, size := 0, 0
			for ok := it.First(); ok; ok = it.Next() {
				n++
				size += len(it.Key()) + len(it.Value())
			}
			if err := it.Close(); err != nil {
				b.Fatal(err)
			}
			if n != benchBatch || size == 0 {
				b.Fatalf("scanned %d keys", n)
			}
		}
	})
	b.Run("backend", func(b *testing.B) {
		v, err := be.View(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer v.Close()
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			it := v.Range(lo, hi, false)
			n, size := 0, 0
			for it.Next() {
				n++
				size += len(it.Key()) + len(it.Value())
			}
			if err := it.Close(); err != nil {
				b.Fatal(err)
			}
			if n != benchBatch || size == 0 {
				b.Fatalf("scanned %d keys", n)
			}
		}
	})
}
