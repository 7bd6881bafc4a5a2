package simple

import (
	"context"
	"errors"
	"fmt"
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

func ids(us []User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	users := NewUserStore(db)

	ann := User{ID: "ann", Email: "ann@x", Team: "red", Password: "hunter2", Created: time.Unix(100, 5).UTC(), Tags: []string{"a", "b"}, Scratch: "not stored"}
	bob := User{ID: "bob", Email: "bob@x", Team: "red"}
	cid := User{ID: "cid", Email: "cid@x", Team: "blue", Tags: []string{}}
	require.NoError(t, users.PutAll(ctx, []User{bob, ann, cid}))

	got, err := users.Get(ctx, "ann")
	require.NoError(t, err)
	ann.Scratch = ""
	require.Equal(t, ann, got)
	got, err = users.Get(ctx, "cid")
	require.NoError(t, err)
	require.Equal(t, cid, got, "an empty slice stays empty, not nil")

	got, err = users.GetByEmail(ctx, "bob@x")
	require.NoError(t, err)
	require.Equal(t, bob, got)
	_, err = users.GetByEmail(ctx, "nobody@x")
	require.ErrorIs(t, err, store.ErrNotFound)

	require.Equal(t, []string{"ann", "bob"}, ids(collect(t, users.ListByTeam(ctx, "red"))))
	require.Equal(t, []string{"ann", "bob", "cid"}, ids(collect(t, users.Scan(ctx))))
	require.Equal(t, []string{"cid", "bob"}, ids(collect(t, users.Scan(ctx, store.Reverse(), store.Limit(2)))))
	require.Equal(t, []string{"bob"}, ids(collect(t, users.ScanRange(ctx, "b", "c"))))
	require.Equal(t, []string{"cid"}, ids(collect(t, users.ScanPrefix(ctx, "ci"))))

	err = users.Put(ctx, User{ID: "dan", Email: "ann@x"})
	require.True(t, errors.Is(err, store.ErrConflict), "unique email: %v", err)
	require.ErrorIs(t, users.Insert(ctx, User{ID: "ann", Email: "other@x"}), store.ErrExists)

	s := fmt.Sprint(ann)
	require.NotContains(t, s, "hunter2")
	require.Contains(t, s, "Password: [redacted]")
	require.Contains(t, fmt.Sprintf("%v", &ann), "[redacted]")

	err = db.Update(ctx, func(tx *store.Tx) error {
		in := users.In(tx)
		if err := in.Put(User{ID: "eve", Email: "eve@x", Team: "blue"}); err != nil {
			return err
		}
		ok, err := in.Exists("eve")
		require.True(t, ok)
		return err
	})
	require.NoError(t, err)
	require.Equal(t, []string{"cid", "eve"}, ids(collect(t, users.ListByTeam(ctx, "blue"))))

	existed, err := users.Delete(ctx, "ann")
	require.NoError(t, err)
	require.True(t, existed)
	_, err = users.Get(ctx, "ann")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, []string{"bob"}, ids(collect(t, users.ListByTeam(ctx, "red"))))
	_, err = users.GetByEmail(ctx, "ann@x")
	require.ErrorIs(t, err, store.ErrNotFound, "deleting removes index entries")
	n, err := users.DeleteAll(ctx, []string{"bob", "zed"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
}
