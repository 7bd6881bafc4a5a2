package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/synapsed/storegen/runtime/backend"
)

const (
	benchKeys  = 10_000 // keys loaded for Get
	benchBatch = 1_000  // keys written per transaction
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

func openBench(b *testing.B, opts ...Option) *Backend {
	b.Helper()
	be, err := Open(filepath.Join(b.TempDir(), "bench.db"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	return be
}

// BenchmarkGet reads random keys of a database of benchKeys keys through
// Backend.Get, into a buffer large enough for the value.
func BenchmarkGet(b *testing.B) {
	be := openBench(b, NoSync())
	ctx := context.Background()
	value := benchValueBytes()
	err := be.Update(ctx, func(tx backend.Txn) error {
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
	keys := make([][]byte, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i * 7919 % benchKeys)
	}
	buf := make([]byte, 0, benchValue)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if buf, err = be.Get(ctx, keys[i%benchKeys], buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdate1000 writes benchBatch keys in one transaction, synced
// (the default) and with NoSync.
func BenchmarkUpdate1000(b *testing.B) {
	keys := make([][]byte, benchBatch)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	value := benchValueBytes()
	for _, c := range []struct {
		name string
		opts []Option
	}{{"sync", nil}, {"nosync", []Option{NoSync()}}} {
		b.Run(c.name, func(b *testing.B) {
			be := openBench(b, c.opts...)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				err := be.Update(ctx, func(tx backend.Txn) error {
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
}
