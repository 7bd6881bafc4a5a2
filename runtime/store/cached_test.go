package store_test

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

// countingSchema is accountSchema with Clone and exact set as given, and a
// Decode that counts its calls.
func countingSchema(exact bool, decodes *atomic.Int64) *store.Schema[string, account] {
	s := accountSchema
	s.Clone = func(src *account) account { return *src }
	s.Exact = exact
	s.Decode = func(b []byte, v *account) error {
		decodes.Add(1)
		return decodeAccount(b, v)
	}
	return &s
}

// TestWriteHandsOverRecord: over the cache layer, a store whose schema is
// exact hands each written record to the cache with its stored form, so
// that the next Get returns it without decoding; within a transaction the
// last write wins, a rolled-back write hands nothing over, and a store
// whose schema is not exact decodes after every write.
func TestWriteHandsOverRecord(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(cache.New(memory.New()))
	require.NoError(t, err)
	defer db.Close()
	var decodes atomic.Int64
	accounts := store.NewTable(db, countingSchema(true, &decodes))

	a := account{ID: "a", Email: "a@x", Team: "red", Age: 30}
	require.NoError(t, accounts.Put(ctx, a))
	got, err := accounts.Get(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, a, got)
	start := decodes.Load() // the write may read the old record (indexes)

	a.Team, a.Age = "blue", 31
	require.NoError(t, accounts.Put(ctx, a))
	writeDecodes := decodes.Load() - start
	got, err = accounts.Get(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, a, got)
	require.Equal(t, writeDecodes, decodes.Load()-start, "the Get after a write decodes nothing")

	got.Team = "changed by the caller"
	again, err := accounts.Get(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, a, again, "each Get has its own copy")

	require.NoError(t, db.Update(ctx, func(tx *store.Tx) error {
		in := accounts.In(tx)
		require.NoError(t, in.Put(account{ID: "a", Email: "a@x", Team: "first"}))
		return in.Put(account{ID: "a", Email: "a@x", Team: "last"})
	}))
	got, err = accounts.Get(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "last", got.Team)

	errRollback := errors.New("roll back")
	err = db.Update(ctx, func(tx *store.Tx) error {
		require.NoError(t, accounts.In(tx).Put(account{ID: "a", Email: "a@x", Team: "rolled back"}))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	got, err = accounts.Get(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "last", got.Team)

	// Not exact: the cache gets the stored form only, and the next Get
	// decodes it.
	db2, err := store.Open(cache.New(memory.New()))
	require.NoError(t, err)
	defer db2.Close()
	var decodes2 atomic.Int64
	inexact := store.NewTable(db2, countingSchema(false, &decodes2))
	require.NoError(t, inexact.Put(ctx, a))
	_, err = inexact.Get(ctx, "a")
	require.NoError(t, err)
	a.Age++
	require.NoError(t, inexact.Put(ctx, a))
	before := decodes2.Load()
	got, err = inexact.Get(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, a, got)
	require.Equal(t, before+1, decodes2.Load(), "without Exact the Get after a write decodes")
}
