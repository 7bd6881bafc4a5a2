package backend_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

func TestGateZeroValueIsOpen(t *testing.T) {
	var g backend.Gate
	require.NoError(t, g.Enter())
	require.NoError(t, g.Enter(), "calls may nest")
	g.Exit()
	g.Exit()
	assert.False(t, g.Closed())
}

func TestGateCloseTwiceAndEnterAfterClose(t *testing.T) {
	var g backend.Gate
	require.NoError(t, g.Close())
	assert.True(t, g.Closed())
	assert.ErrorIs(t, g.Close(), backend.ErrClosed)
	assert.ErrorIs(t, g.Enter(), backend.ErrClosed)
	assert.ErrorIs(t, g.Enter(), backend.ErrClosed, "a refused Enter must not leave a count behind")
	assert.ErrorIs(t, g.Close(), backend.ErrClosed)
}

// TestGateCloseWaitsForRunningCalls checks that Close returns only after
// every call that entered has exited.
func TestGateCloseWaitsForRunningCalls(t *testing.T) {
	var g backend.Gate
	require.NoError(t, g.Enter())
	var exited atomic.Bool
	closed := make(chan error, 1)
	go func() { closed <- g.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v while a call was running", err)
	case <-time.After(20 * time.Millisecond):
	}
	assert.ErrorIs(t, g.Enter(), backend.ErrClosed, "Enter while Close waits")
	exited.Store(true)
	g.Exit()
	require.NoError(t, <-closed)
	assert.True(t, exited.Load())
}

// TestGateConcurrent runs goroutines entering and exiting while Close runs:
// when Close returns no call may still be inside, and every later Enter
// fails.
func TestGateConcurrent(t *testing.T) {
	const goroutines = 8
	var (
		g       backend.Gate
		inside  atomic.Int64
		entered atomic.Int64
		wg      sync.WaitGroup
	)
	for range goroutines {
		wg.Go(func() {
			for {
				if err := g.Enter(); err != nil {
					assert.ErrorIs(t, err, backend.ErrClosed)
					return
				}
				inside.Add(1)
				entered.Add(1)
				if err := g.Enter(); err == nil { // nested; may lose to Close
					g.Exit()
				}
				inside.Add(-1)
				g.Exit()
			}
		})
	}
	for entered.Load() < 1000 {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, g.Close())
	assert.Zero(t, inside.Load(), "Close returned while calls were inside")
	wg.Wait()
	assert.Zero(t, inside.Load())
	assert.ErrorIs(t, g.Enter(), backend.ErrClosed)
}
