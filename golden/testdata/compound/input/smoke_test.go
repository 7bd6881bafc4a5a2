package compound

import (
	"context"
	"iter"
	"testing"

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
