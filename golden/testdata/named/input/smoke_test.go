package named

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

func TestNamed(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	people := NewPersonStore(db)
	drafts := newDraftStore(db)
	sub := drafts.Watch(ctx, drafts.WatchPrefix("d"))
	defer sub.Close()
	require.NoError(t, people.Put(ctx, Person{Name: "ann", Age: 42}))
	require.NoError(t, drafts.Put(ctx, draft{id: "d1", body: []byte("hello")}))
	d, err := drafts.Get(ctx, "d1")
	require.NoError(t, err)
	require.Equal(t, "hello", string(d.body))
	var e draftEvent
	select {
	case e = <-sub.C():
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	require.Equal(t, draft{id: "d1", body: []byte("hello")}, e.New)

	names := db.Stores()
	slices.Sort(names)
	require.Equal(t, []string{"draft", "people"}, names)
}
