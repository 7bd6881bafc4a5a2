package bbolt

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/synapsed/storegen/internal/cputime"
	"github.com/synapsed/storegen/runtime/backend"
)

// The benchmarks come in pairs, native and backend, that do the same work
// on the same data: once with bbolt's own API and once through the
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

func openBench(b *testing.B) *Backend {
	b.Helper()
	be, err := Open(filepath.Join(b.TempDir(), "bench.bolt"), NoSync())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	return be
}

// openLoaded opens a database holding benchKeys keys, read once so that
// the file's pages are in memory.
func openLoaded(b *testing.B) *Backend {
	b.Helper()
	be := openBench(b)
	value := benchValueBytes()
	err := be.db.Update(func(tx *bolt.Tx) error {
		bucket := tx.Bucket(be.bucket)
		for i := range benchKeys {
			if err := bucket.Put(benchKey(i), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	err = be.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(be.bucket).ForEach(func(k, v []byte) error { return nil })
	})
	if err != nil {
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
			err := be.db.View(func(tx *bolt.Tx) error {
				buf = append(buf[:0], tx.Bucket(be.bucket).Get(keys[i%benchKeys])...)
				return nil
			})
			if err != nil || len(buf) != benchValue {
				b.Fatal(err, len(buf))
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
			if err != nil || len(buf) != benchValue {
				b.Fatal(err, len(buf))
			}
		}
	})
}

// BenchmarkSet1000 writes benchBatch keys in one transaction. Both sides
// commit without syncing, so the figure is the engine's work rather than
// the disk's fsync latency, which would hide any difference. Each side has
// a file of its own.
func BenchmarkSet1000(b *testing.B) {
	keys := make([][]byte, benchBatch)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	value := benchValueBytes()
	b.Run("native", func(b *testing.B) {
		be := openBench(b)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			err := be.db.Update(func(tx *bolt.Tx) error {
				bucket := tx.Bucket(be.bucket)
				for _, k := range keys {
					if err := bucket.Put(k, value); err != nil {
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
	b.Run("backend", func(b *testing.B) {
		be := openBench(b)
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

// BenchmarkRange1000 scans benchBatch consecutive keys forward in an open
// read transaction, reading each key and value.
func BenchmarkRange1000(b *testing.B) {
	be := openLoaded(b)
	lo, hi := benchKey(benchKeys/2), benchKey(benchKeys/2+benchBatch)
	b.Run("native", func(b *testing.B) {
		tx, err := be.db.Begin(false)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback()
		bucket := tx.Bucket(be.bucket)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			c := bucket.Cursor()
			n, size := 0, 0
			for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
				n++
				size += len(k) + len(v)
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
