package marshalerror

import (
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/codec"
	"github.com/synapsed/storegen/runtime/store"
)

func collect[V any](t *testing.T, seq iter.Seq2[V, error]) []V {
	t.Helper()
	var out []V
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestMarshalError(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	sensors := NewSensorStore(db)
	sub := sensors.Watch(ctx)
	defer sub.Close()

	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		path string
		v    Sensor
	}{
		{"Temp", Sensor{ID: "s1", Room: "lab", Temp: -1}},
		{"Limits", Sensor{ID: "s1", Room: "lab", Limits: []Kelvin{10, -2}}},
		{"History.Temp", Sensor{ID: "s1", Room: "lab", History: []Sample{{At: at, Temp: 300}, {At: at, Temp: -3}}}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			err := sensors.Put(ctx, tc.v)
			require.ErrorIs(t, err, ErrBelowZero)
			var fe *codec.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, tc.path, fe.Path)
			require.ErrorContains(t, err, "field "+tc.path)

			_, err = sensors.Get(ctx, "s1")
			require.ErrorIs(t, err, store.ErrNotFound, "nothing stored")
			require.Empty(t, collect(t, sensors.ListByRoom(ctx, "lab")), "no index entry left behind")
		})
	}

	// A record that fails to encode leaves the one it would replace, and
	// its index entries, as they were; a transaction that gives up on it
	// stores none of its writes.
	good := Sensor{ID: "s1", Room: "lab", Temp: 290, History: []Sample{{At: at, Temp: 291}}, Where: Place{Building: "B", Floor: 2}}
	require.NoError(t, sensors.Put(ctx, good))
	require.ErrorIs(t, sensors.Put(ctx, Sensor{ID: "s1", Room: "hall", Temp: -1}), ErrBelowZero)
	err = db.Update(ctx, func(tx *store.Tx) error {
		in := sensors.In(tx)
		if err := in.Put(Sensor{ID: "s2", Room: "hall"}); err != nil {
			return err
		}
		return in.Put(Sensor{ID: "s3", Room: "hall", Temp: -4})
	})
	require.ErrorIs(t, err, ErrBelowZero)
	require.ErrorIs(t, sensors.PutAll(ctx, []Sensor{{ID: "s4"}, {ID: "s5", Limits: []Kelvin{-1}}}), ErrBelowZero)

	got, err := sensors.Get(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, good, got)
	require.Equal(t, []Sensor{good}, collect(t, sensors.Scan(ctx)))
	require.Equal(t, []Sensor{good}, collect(t, sensors.ListByRoom(ctx, "lab")))
	require.Empty(t, collect(t, sensors.ListByRoom(ctx, "hall")))

	// Only the write that succeeded was published.
	select {
	case e := <-sub.C():
		require.Equal(t, store.Created, e.Kind)
		require.Equal(t, good, e.New)
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	select {
	case e := <-sub.C():
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestEncodeAllocs(t *testing.T) {
	// The helper of a struct that holds no marshaler cannot fail, and
	// encoding it into a reused buffer allocates nothing.
	p := Place{Building: "B", Floor: 2}
	buf := encodeSensorPlace(nil, &p)
	allocs := testing.AllocsPerRun(100, func() { buf = encodeSensorPlace(buf[:0], &p) })
	require.Zero(t, allocs)
}
