package faulty_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/conformance"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store/internal/faulty"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Without a fault the wrapper is the engine it wraps.
func TestConformance(t *testing.T) {
	conformance.Run(t, func(*testing.T) backend.Backend { return faulty.Wrap(memory.New()) })
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	b := faulty.Wrap(memory.New())
	defer b.Close()
	require.NoError(t, b.Update(ctx, func(tx backend.Txn) error { return tx.Set([]byte("k"), []byte("v")) }))

	b.Set(faulty.Fault{Down: true})
	_, err := b.Get(ctx, []byte("k"), nil)
	assert.ErrorIs(t, err, faulty.ErrInjected)
	assert.ErrorIs(t, b.Update(ctx, func(backend.Txn) error { return nil }), faulty.ErrInjected)
	_, err = b.Stats(ctx)
	assert.NoError(t, err, "Stats is never faulted")

	b.Set(faulty.Fault{ErrorRate: 0.5})
	failed := 0
	for range 2000 {
		if _, err := b.Get(ctx, []byte("k"), nil); err != nil {
			failed++
		}
	}
	assert.InDelta(t, 1000, failed, 150)

	b.Set(faulty.Fault{Latency: 20 * time.Millisecond})
	start := time.Now()
	_, err = b.Get(ctx, []byte("k"), nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
	start = time.Now()
	require.NoError(t, b.Update(ctx, func(backend.Txn) error { return nil }))
	assert.Less(t, time.Since(start), 20*time.Millisecond, "latency is for reads")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = b.Get(cancelled, []byte("k"), nil)
	assert.ErrorIs(t, err, context.Canceled, "a delayed call gives up with its context")

	// Stalls of 40 ms every 50 ms: most reads wait, none longer than 40 ms.
	b.Set(faulty.Fault{StallEvery: 50 * time.Millisecond, StallFor: 40 * time.Millisecond})
	var waited time.Duration
	for range 5 {
		start := time.Now()
		_, err := b.Get(ctx, []byte("k"), nil)
		require.NoError(t, err)
		waited = max(waited, time.Since(start))
		time.Sleep(3 * time.Millisecond)
	}
	assert.Greater(t, waited, time.Millisecond)

	b.Set(faulty.Fault{})
	v, err := b.Get(ctx, []byte("k"), nil)
	require.NoError(t, err)
	assert.Equal(t, "v", string(v))
}

// stepClock is a clock that stands still and records the delays asked of
// it instead of waiting.
type stepClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *stepClock) Now() time.Time { return c.now }

func (c *stepClock) Sleep(_ context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	return nil
}

func TestFaultsOnClock(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := faulty.WrapOn(memory.New(), clock)
	defer b.Close()

	b.Set(faulty.Fault{Latency: 5 * time.Millisecond, StallEvery: time.Second, StallFor: 300 * time.Millisecond})
	clock.now = clock.now.Add(100 * time.Millisecond) // 100 ms into a stall
	_, err := b.Get(ctx, []byte("k"), nil)
	require.ErrorIs(t, err, backend.ErrNotFound)
	clock.now = clock.now.Add(400 * time.Millisecond) // past it
	v, err := b.View(ctx)
	require.NoError(t, err)
	require.NoError(t, v.Close())
	require.NoError(t, b.Update(ctx, func(backend.Txn) error { return nil }))
	assert.Equal(t, []time.Duration{205 * time.Millisecond, 5 * time.Millisecond}, clock.sleeps, "writes are not delayed")
}
