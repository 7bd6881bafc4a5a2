package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/internal/engine"
)

func TestWriterAdmitsOneAndHonoursContext(t *testing.T) {
	w := engine.NewWriter()
	require.NoError(t, w.Take(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, w.Take(ctx), context.DeadlineExceeded, "a second writer waits, and gives up with its context")

	took := make(chan error)
	go func() { took <- w.Take(context.Background()) }()
	select {
	case <-took:
		t.Fatal("the slot was taken twice")
	case <-time.After(10 * time.Millisecond):
	}
	w.Give()
	assert.NoError(t, <-took, "Give lets the next writer in")
	w.Give()
}

func TestViewsTakeAllEmptiesTheSet(t *testing.T) {
	var vs engine.Views[int]
	vs.Add(1)
	vs.Add(2)
	vs.Add(3)
	vs.Remove(2)
	assert.Equal(t, 2, vs.Len())
	assert.ElementsMatch(t, []int{1, 3}, vs.TakeAll())
	assert.Zero(t, vs.Len())
	assert.Empty(t, vs.TakeAll())
}
