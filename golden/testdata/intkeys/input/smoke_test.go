package intkeys

import (
	"context"
	"iter"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
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

func TestIntKeyOrder(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()

	events := NewEventStore(db)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, s := range []Seq{3, -1, 0, -5} {
		require.NoError(t, events.Put(ctx, Event{Seq: s, At: base.Add(time.Duration(-i) * time.Hour)}))
	}
	var seqs []Seq
	for _, e := range collect(t, events.Scan(ctx)) {
		seqs = append(seqs, e.Seq)
	}
	require.Equal(t, []Seq{-5, -1, 0, 3}, seqs)
	seqs = nil
	for _, e := range collect(t, events.ScanRange(ctx, -1, 3)) {
		seqs = append(seqs, e.Seq)
	}
	require.Equal(t, []Seq{-1, 0}, seqs)
	byTime := collect(t, events.ListByAt(ctx, base.Add(-3*time.Hour)))
	require.Len(t, byTime, 1)
	require.Equal(t, Seq(-5), byTime[0].Seq)

	counters := NewCounterStore(db)
	for _, id := range []uint64{math.MaxUint64, 0, 1 << 40, 7} {
		require.NoError(t, counters.Put(ctx, Counter{ID: id, Count: -int64(id % 100)}))
	}
	var got []uint64
	for _, c := range collect(t, counters.Scan(ctx)) {
		got = append(got, c.ID)
	}
	require.Equal(t, []uint64{0, 7, 1 << 40, math.MaxUint64}, got)

	readings := NewReadingStore(db)
	require.NoError(t, readings.PutAll(ctx, []Reading{{N: math.MinInt, Value: -0.5}, {N: math.MaxInt, Value: math.Inf(1)}, {N: 0}}))
	rs := collect(t, readings.Scan(ctx, store.Reverse()))
	require.Equal(t, []Reading{{N: math.MaxInt, Value: math.Inf(1)}, {N: 0}, {N: math.MinInt, Value: -0.5}}, rs)
}

// TestWatchKeyTypes checks that store.WatchKey and store.WatchRange take
// the key type, or a constant Go infers as int, which converts to Seq.
func TestWatchKeyTypes(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	events := NewEventStore(db)
	counters := NewCounterStore(db)

	wrong := events.Watch(ctx, store.WatchKey("2"))
	_, open := <-wrong.C()
	require.False(t, open, "a string is not a Seq")
	require.ErrorContains(t, wrong.Err(), "key filter 2 of type string does not convert")

	one := events.Watch(ctx, store.WatchKey(Seq(2)))
	defer one.Close()
	untyped := events.Watch(ctx, store.WatchKey(2))
	defer untyped.Close()
	span := events.Watch(ctx, store.WatchRange[Seq](-1, 3))
	defer span.Close()
	big := counters.Watch(ctx, store.WatchKey(uint64(1<<40)))
	defer big.Close()
	for _, s := range []Seq{-5, 2, 3} {
		require.NoError(t, events.Put(ctx, Event{Seq: s}))
	}
	require.NoError(t, counters.PutAll(ctx, []Counter{{ID: 7}, {ID: 1 << 40, Count: 1}}))

	next := func(c <-chan EventEvent) Seq {
		select {
		case e := <-c:
			return e.Key
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		return 0
	}
	require.Equal(t, Seq(2), next(one.C()))
	require.Equal(t, Seq(2), next(untyped.C()))
	require.Equal(t, Seq(2), next(span.C()))
	select {
	case e := <-big.C():
		require.Equal(t, CounterEvent{Kind: store.Created, Key: 1 << 40, New: Counter{ID: 1 << 40, Count: 1}, Seq: e.Seq, TxID: e.TxID, Time: e.Time}, e)
	case <-time.After(5 * time.Second):
		t.Fatal("no counter event")
	}
}

// TestRoundTrip checks that integers and floats read back with exactly
// the bits they were stored with: extremes, random values, -0 (which
// equals 0 but is not left out as zero) and a NaN payload.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	extremes := []uint64{0, 1, math.MaxUint64, 1 << 63, math.MaxInt64, math.Float64bits(math.Copysign(0, -1)), 0x7ff8000000000abc}
	for i := range 1000 {
		bits := r.Uint64()
		if i < len(extremes) {
			bits = extremes[i]
		}
		c := Counter{ID: bits, Count: int64(bits)}
		b, err := encodeCounter(nil, &c)
		require.NoError(t, err)
		var gotC Counter
		require.NoError(t, decodeCounter(b, &gotC))
		require.Equal(t, c, gotC)

		v := Reading{N: int(bits), Value: math.Float64frombits(bits)}
		b, err = encodeReading(nil, &v)
		require.NoError(t, err)
		var gotR Reading
		require.NoError(t, decodeReading(b, &gotR))
		require.Equal(t, v.N, gotR.N)
		require.Equal(t, bits, math.Float64bits(gotR.Value), "%v reads back as %v", v.Value, gotR.Value)
	}
}
