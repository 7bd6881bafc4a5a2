package redis

import (
	"context"
	"fmt"
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

// openLoaded opens a Backend on a prefix of its own holding benchKeys keys.
func openLoaded(b *testing.B) *Backend {
	be := openPrefix(b, newPrefix())
	value := benchValueBytes()
	err := be.Update(context.Background(), func(tx backend.Txn) error {
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
	return be
}

// BenchmarkGet reads keys through Backend.Get (one HGET) and through a
// view whose snapshot is current (one read script), both into a buffer
// large enough for the value; over loopback, the round trip dominates.
func BenchmarkGet(b *testing.B) {
	be := openLoaded(b)
	ctx := context.Background()
	keys := make([][]byte, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i * 7919 % benchKeys)
	}
	b.Run("backend", func(b *testing.B) {
		buf := make([]byte, 0, benchValue)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var err error
			if buf, err = be.Get(ctx, keys[i%benchKeys], buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("view", func(b *testing.B) {
		v, err := be.View(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer v.Close()
		buf := make([]byte, 0, benchValue)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if buf, err = v.Get(keys[i%benchKeys], buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpdate1000 writes benchBatch keys in one transaction: one round
// trip for the commit number and one for the commit script, which also
// records the replaced values for views.
func BenchmarkUpdate1000(b *testing.B) {
	be := openPrefix(b, newPrefix())
	keys := make([][]byte, benchBatch)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	value := benchValueBytes()
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
}
