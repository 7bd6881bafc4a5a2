package memory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/conformance"
	"github.com/synapsed/storegen/runtime/backend/memory"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	conformance.Run(t, func(*testing.T) backend.Backend { return memory.New() })
}

// BenchmarkGet measures Get into a caller's buffer that is large enough,
// which must not allocate.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	db := memory.New()
	defer db.Close()
	key := []byte("key/00000500")
	require.NoError(b, db.Update(ctx, func(txn backend.Txn) error {
		for i := range 1000 {
			if err := txn.Set(fmt.Appendf(nil, "key/%08d", i), []byte("a value of some thirty-two bytes")); err != nil {
				return err
			}
		}
		return nil
	}))
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		v, err := db.Get(ctx, key, buf[:0])
		if err != nil || len(v) != 32 {
			b.Fatalf("Get = %q, %v", v, err)
		}
	}
}

func TestGetDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	db := memory.New()
	defer db.Close()
	require.NoError(t, db.Update(ctx, func(txn backend.Txn) error {
		return txn.Set([]byte("k"), []byte("value"))
	}))
	key, buf := []byte("k"), make([]byte, 0, 16)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := db.Get(ctx, key, buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "Get with a large enough buffer allocated")
}
