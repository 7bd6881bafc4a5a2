package compound

import (
	"context"
	"iter"
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

// receive reads n events from sub, failing after a timeout.
func receive[E any](t *testing.T, sub *store.Subscription[E], n int) []E {
	t.Helper()
	var out []E
	timeout := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case e, ok := <-sub.C():
			require.True(t, ok, "closed after %d of %d events: %v", len(out), n, sub.Err())
			out = append(out, e)
		case <-timeout:
			t.Fatalf("got %d of %d events", len(out), n)
		}
	}
	return out
}

// closes closes sub and checks that C is closed and held no more events.
func closes[E any](t *testing.T, sub *store.Subscription[E]) {
	t.Helper()
	select {
	case e, ok := <-sub.C():
		require.False(t, ok, "unexpected event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
	sub.Close()
	_, ok := <-sub.C()
	require.False(t, ok)
	require.NoError(t, sub.Err())
}

func open(t *testing.T) *store.DB {
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMembers(t *testing.T) {
	ctx := context.Background()
	members := NewMemberStore(open(t))

	all := []Member{
		{Org: "acme", ID: "b", Name: "Bea"},
		{Org: "acme", ID: "a", Name: "Al"},
		{Org: "acme2", ID: "a", Name: "Ann"}, // "acme" is a prefix of "acme2", not the same org
		{Org: "zeta", ID: "a", Name: "Zed"},
	}
	require.NoError(t, members.PutAll(ctx, all))

	m, err := members.Get(ctx, "acme", "b")
	require.NoError(t, err)
	require.Equal(t, "Bea", m.Name)
	ok, err := members.Exists(ctx, "acme", "c")
	require.NoError(t, err)
	require.False(t, ok)

	require.Equal(t, []Member{all[1], all[0]}, collect(t, members.ScanByOrg(ctx, "acme")))
	require.Equal(t, []Member{all[1], all[0]}, collect(t, members.ScanPrefix(ctx, "acme", "")))
	require.Equal(t, []Member{all[0]}, collect(t, members.ScanPrefix(ctx, "acme", "b")))
	require.Equal(t, []Member{all[0], all[2]}, collect(t, members.ScanRange(ctx, MemberKey{Org: "acme", ID: "b"}, MemberKey{Org: "zeta"})))

	n, err := members.DeleteAll(ctx, []MemberKey{{Org: "acme", ID: "a"}, {Org: "acme", ID: "x"}})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	existed, err := members.Delete(ctx, "zeta", "a")
	require.NoError(t, err)
	require.True(t, existed)
	require.Equal(t, []Member{all[0], all[2]}, collect(t, members.Scan(ctx)))
}

func TestSeats(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	seats := NewSeatStore(db)
	all := []Seat{
		{Org: "acme", Team: "red", Num: 300, Holder: "al"},
		{Org: "acme", Team: "red", Num: 2, Holder: "bea"},
		{Org: "acme", Team: "blue", Num: 1, Holder: "al"},
		{Org: "beta", Team: "red", Num: 1},
	}
	err := db.Update(ctx, func(tx *store.Tx) error { return seats.In(tx).PutAll(all) })
	require.NoError(t, err)

	require.Equal(t, []Seat{all[2], all[1], all[0]}, collect(t, seats.ScanByOrg(ctx, "acme")))
	require.Equal(t, []Seat{all[1], all[0]}, collect(t, seats.ScanByOrgTeam(ctx, "acme", "red")), "numbers in numeric order")
	require.Equal(t, []Seat{all[2], all[0]}, collect(t, seats.ListByHolder(ctx, "al")))

	err = db.View(ctx, func(tx *store.Tx) error {
		s, err := seats.In(tx).Get("acme", "red", 2)
		require.Equal(t, "bea", s.Holder)
		require.Equal(t, []Seat{all[3]}, collect(t, seats.In(tx).ScanByOrg("beta")))
		return err
	})
	require.NoError(t, err)
}

func TestWatchMembers(t *testing.T) {
	ctx := context.Background()
	members := NewMemberStore(open(t))

	all := members.Watch(ctx)
	acme := members.Watch(ctx, members.WatchByOrg("acme"))
	acmeB := members.Watch(ctx, members.WatchPrefix("acme", "b"))
	one := members.Watch(ctx, store.WatchKey(MemberKey{Org: "acme", ID: "a"}))
	span := members.Watch(ctx, store.WatchRange(MemberKey{Org: "acme", ID: "b"}, MemberKey{Org: "zeta"}))

	require.NoError(t, members.Put(ctx, Member{Org: "acme", ID: "a", Name: "Al"}))
	require.NoError(t, members.Put(ctx, Member{Org: "acme2", ID: "a", Name: "Ann"})) // not in org acme
	require.NoError(t, members.Put(ctx, Member{Org: "acme", ID: "bea", Name: "Bea"}))
	require.NoError(t, members.Put(ctx, Member{Org: "acme", ID: "a", Name: "Alan"}))
	_, err := members.Delete(ctx, "acme", "bea")
	require.NoError(t, err)

	evs := receive(t, all, 5)
	require.Equal(t, MemberKey{Org: "acme", ID: "a"}, evs[0].Key)
	require.Equal(t, store.Updated, evs[3].Kind)
	require.Equal(t, "Al", evs[3].Old.Name)
	require.Equal(t, "Alan", evs[3].New.Name)
	require.Equal(t, store.Deleted, evs[4].Kind)
	require.Equal(t, "Bea", evs[4].Old.Name)
	require.Equal(t, Member{}, evs[4].New)

	keys := func(evs []MemberEvent) []MemberKey {
		var out []MemberKey
		for _, e := range evs {
			out = append(out, e.Key)
		}
		return out
	}
	a, b := MemberKey{Org: "acme", ID: "a"}, MemberKey{Org: "acme", ID: "bea"}
	require.Equal(t, []MemberKey{a, b, a, b}, keys(receive(t, acme, 4)))
	require.Equal(t, []MemberKey{b, b}, keys(receive(t, acmeB, 2)))
	require.Equal(t, []MemberKey{a, a}, keys(receive(t, one, 2)))
	require.Equal(t, []MemberKey{{Org: "acme2", ID: "a"}, b, b}, keys(receive(t, span, 3)))
	for _, sub := range []*store.Subscription[MemberEvent]{all, acme, acmeB, one, span} {
		closes(t, sub)
	}
}

func TestWatchSeats(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	seats := NewSeatStore(db)
	red := seats.Watch(ctx, seats.WatchByOrgTeam("acme", "red"))
	acme := seats.Watch(ctx, seats.WatchByOrg("acme"), store.Kinds(store.Created))
	two := seats.Watch(ctx, store.WatchKey(SeatKey{Org: "acme", Team: "red", Num: 2}))

	err := db.Update(ctx, func(tx *store.Tx) error {
		return seats.In(tx).PutAll([]Seat{
			{Org: "acme", Team: "red", Num: 300},
			{Org: "acme", Team: "redder", Num: 1},
			{Org: "acme", Team: "red", Num: 2},
			{Org: "beta", Team: "red", Num: 2},
		})
	})
	require.NoError(t, err)
	require.NoError(t, seats.Put(ctx, Seat{Org: "acme", Team: "red", Num: 2, Holder: "bea"}))

	got := receive(t, red, 3)
	require.Equal(t, []uint16{300, 2, 2}, []uint16{got[0].Key.Num, got[1].Key.Num, got[2].Key.Num})
	require.Equal(t, got[0].TxID, got[1].TxID, "one transaction")
	require.Equal(t, "bea", got[2].New.Holder)
	require.Len(t, receive(t, acme, 3), 3)
	got = receive(t, two, 2)
	require.Equal(t, []store.EventKind{store.Created, store.Updated}, []store.EventKind{got[0].Kind, got[1].Kind})
	closes(t, red)
	closes(t, acme)
	closes(t, two)
}
