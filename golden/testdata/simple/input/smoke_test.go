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

// receive reads n events from sub, failing after a timeout.
func receive(t *testing.T, sub *store.Subscription[UserEvent], n int) []UserEvent {
	t.Helper()
	var out []UserEvent
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
func closes(t *testing.T, sub *store.Subscription[UserEvent]) {
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

	redacted := ann
	userSchema.Redact(&redacted)
	require.Empty(t, redacted.Password)
	redacted.Password = ann.Password
	require.Equal(t, ann, redacted, "Redact clears only the sensitive fields")

	require.Regexp(t, `^\S+/\S+$`, users.Status().String(), "a condition/confidence pair")

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

func TestWatch(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	users := NewUserStore(db)

	all := users.Watch(ctx)
	byPrefix := users.Watch(ctx, users.WatchPrefix("an"))
	byKey := users.Watch(ctx, store.WatchKey("bob"))
	byRange := users.Watch(ctx, store.WatchRange("b", "c"), store.Kinds(store.Updated))
	deletes := users.Watch(ctx, store.Kinds(store.Deleted))

	require.NoError(t, users.Put(ctx, User{ID: "ann", Email: "ann@x", Password: "hunter2"}))
	require.NoError(t, users.Put(ctx, User{ID: "bob", Email: "bob@x"}))
	require.NoError(t, users.Put(ctx, User{ID: "ann", Email: "ann@y"}))
	require.NoError(t, users.Put(ctx, User{ID: "bob", Email: "bob@y"}))
	existed, err := users.Delete(ctx, "ann")
	require.NoError(t, err)
	require.True(t, existed)

	evs := receive(t, all, 5)
	kinds := make([]store.EventKind, len(evs))
	for i, e := range evs {
		kinds[i] = e.Kind
		if i > 0 {
			require.Greater(t, e.Seq, evs[i-1].Seq)
		}
	}
	require.Equal(t, []store.EventKind{store.Created, store.Created, store.Updated, store.Updated, store.Deleted}, kinds)
	require.Equal(t, "ann", evs[0].Key)
	require.Equal(t, User{}, evs[0].Old)
	require.Equal(t, "hunter2", evs[0].New.Password)
	require.Equal(t, "ann@x", evs[2].Old.Email)
	require.Equal(t, "ann@y", evs[2].New.Email)
	require.Equal(t, "ann@y", evs[4].Old.Email)
	require.Equal(t, User{}, evs[4].New)

	for i, e := range receive(t, byPrefix, 3) {
		require.Equal(t, "ann", e.Key)
		require.Equal(t, kinds[2*i], e.Kind)
	}
	for _, e := range receive(t, byKey, 2) {
		require.Equal(t, "bob", e.Key)
	}
	up := receive(t, byRange, 1)[0]
	require.Equal(t, "bob@x", up.Old.Email)
	require.Equal(t, "bob@y", up.New.Email)
	require.Equal(t, "ann", receive(t, deletes, 1)[0].Key)
	for _, sub := range []*store.Subscription[UserEvent]{all, byPrefix, byKey, byRange, deletes} {
		closes(t, sub)
	}

	// Cancelling the context ends a subscription too.
	cctx, cancel := context.WithCancel(ctx)
	sub := users.Watch(cctx)
	cancel()
	_, ok := <-sub.C()
	require.False(t, ok)
	require.ErrorIs(t, sub.Err(), context.Canceled)
}
