package sensitivekey

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

func TestRedaction(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	tokens := NewTokenStore(db)

	require.True(t, tokenSchema.SensitiveKey)
	require.True(t, tokenSchema.Indexes[1].Sensitive)
	require.False(t, tokenSchema.Indexes[0].Sensitive)

	h := [32]byte{'s', 'e', 'c', 'r', 'e', 't'}
	tok := Token{Hash: h, Owner: "ann", Phone: "555-0100"}
	sub := tokens.Watch(ctx, store.WatchKey(h))
	defer sub.Close()
	require.NoError(t, tokens.Put(ctx, tok))
	select {
	case e := <-sub.C():
		require.Equal(t, tok, e.New, "events carry the whole record to the program")
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	got, err := tokens.Get(ctx, h)
	require.NoError(t, err)
	require.Equal(t, tok, got)

	_, err = tokens.Get(ctx, [32]byte{'n', 'o', 'p', 'e'})
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NotContains(t, err.Error(), "nope")
	require.Contains(t, err.Error(), store.Redacted)

	err = tokens.Put(ctx, Token{Hash: [32]byte{1}, Phone: "555-0100"})
	require.True(t, errors.Is(err, store.ErrConflict))
	require.NotContains(t, err.Error(), "555")

	s := fmt.Sprint(tok)
	require.NotContains(t, s, "555")
	require.NotContains(t, s, "115") // 's' as a number in the hash
	require.Equal(t, "Token{Hash: [redacted], Owner: \"ann\", Phone: [redacted]}", s)
}
