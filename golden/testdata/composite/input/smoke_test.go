package composite

import (
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

func ids(t *testing.T, seq iter.Seq2[Booking, error]) []string {
	t.Helper()
	var out []string
	for b, err := range seq {
		require.NoError(t, err)
		out = append(out, b.ID)
	}
	return out
}

func TestBookings(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	bookings := NewBookingStore(db)

	require.NoError(t, bookings.PutAll(ctx, []Booking{
		{ID: "b1", Room: "blue", Day: 2, Owner: "ann", Kind: "talk"},
		{ID: "b2", Room: "blue", Day: 1, Owner: "bob", Kind: "talk"},
		{ID: "b3", Room: "red", Day: 1, Owner: "ann", Kind: "lab"},
		{ID: "b4", Room: "red", Day: -1, Owner: "ann", Kind: "talk"},
	}))

	b, err := bookings.GetBySlot(ctx, "blue", 1)
	require.NoError(t, err)
	require.Equal(t, "b2", b.ID)
	_, err = bookings.GetBySlot(ctx, "blue", 3)
	require.ErrorIs(t, err, store.ErrNotFound)

	err = bookings.Insert(ctx, Booking{ID: "b5", Room: "red", Day: 1})
	require.True(t, errors.Is(err, store.ErrConflict), "slot taken: %v", err)

	require.Equal(t, []string{"b1", "b2"}, ids(t, bookings.ListByRoom(ctx, "blue")), "the plain index wins the name")
	require.Equal(t, []string{"b3", "b2"}, ids(t, bookings.ListByDay(ctx, 1)), "ordered by Owner, then key")
	require.Equal(t, []string{"b3", "b1", "b4"}, ids(t, bookings.ListByOwner(ctx, "ann")), "ordered by Kind, then key")
	require.Equal(t, []string{"b3"}, ids(t, bookings.ListByDayOwner(ctx, 1, "ann")))
	require.Equal(t, []string{"b1", "b4"}, ids(t, bookings.ListByOwnerKind(ctx, "ann", "talk")))

	// Moving a booking moves its index entries.
	require.NoError(t, bookings.Put(ctx, Booking{ID: "b3", Room: "blue", Day: 3, Owner: "cid", Kind: "lab"}))
	require.Equal(t, []string{"b1", "b4"}, ids(t, bookings.ListByOwner(ctx, "ann")))
	_, err = bookings.GetBySlot(ctx, "red", 1)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, bookings.Insert(ctx, Booking{ID: "b5", Room: "red", Day: 1}))
}
