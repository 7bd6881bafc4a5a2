package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

func TestWatchJSON(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()

	redacted := accountSchema
	redacted.Name = "redacted"
	redacted.Redact = func(v *account) { v.Secret = "" }
	vault := accountSchema
	vault.Name = "vault"
	vault.SensitiveKey = true
	vault.Redact = redacted.Redact
	plain := store.NewTable(db, &accountSchema)
	withRedact := store.NewTable(db, &redacted)
	keyed := store.NewTable(db, &vault)

	_, err = db.WatchJSON(ctx, "nothing")
	require.ErrorIs(t, err, store.ErrUnknownStore)

	watch := func(name string, opts ...store.WatchOption) *store.Subscription[[]byte] {
		sub, err := db.WatchJSON(ctx, name, opts...)
		require.NoError(t, err)
		t.Cleanup(sub.Close)
		return sub
	}
	plainSub, redactSub, vaultSub := watch("account"), watch("redacted"), watch("vault")
	deletes := watch("redacted", store.Kinds(store.Deleted))
	typed := withRedact.Watch(ctx)
	defer typed.Close()

	rec := account{ID: "u1", Email: "u1@x", Secret: "hunter2", Age: 7}
	require.NoError(t, plain.Put(ctx, rec))
	require.NoError(t, withRedact.Put(ctx, rec))
	rec.Age = 8
	require.NoError(t, withRedact.Put(ctx, rec))
	_, err = withRedact.Delete(ctx, "u1")
	require.NoError(t, err)
	require.NoError(t, keyed.Put(ctx, rec))
	db.Circuit().Await()

	next := func(sub *store.Subscription[[]byte]) (store.EventJSON, string) {
		t.Helper()
		b := <-sub.C()
		require.NotContains(t, string(b), "hunter2")
		var e store.EventJSON
		require.NoError(t, json.Unmarshal(b, &e))
		return e, string(b)
	}

	// Without Redact, no record bodies.
	e, raw := next(plainSub)
	assert.Equal(t, "account", e.Store)
	assert.Equal(t, "Created", e.Kind)
	assert.Equal(t, "u1", e.Key)
	assert.Positive(t, e.Seq)
	assert.Positive(t, e.TxID)
	assert.False(t, e.Time.IsZero())
	assert.Nil(t, e.Old)
	assert.Nil(t, e.New)
	assert.NotContains(t, raw, `"new"`)

	// With Redact, bodies with the sensitive fields cleared.
	e, _ = next(redactSub)
	assert.Nil(t, e.Old, "Created has no old record")
	assert.JSONEq(t, `{"ID":"u1","Email":"u1@x","Team":"","Secret":"","Age":7}`, string(e.New))
	e, _ = next(redactSub)
	assert.Equal(t, "Updated", e.Kind)
	assert.JSONEq(t, `{"ID":"u1","Email":"u1@x","Team":"","Secret":"","Age":7}`, string(e.Old))
	assert.JSONEq(t, `{"ID":"u1","Email":"u1@x","Team":"","Secret":"","Age":8}`, string(e.New))
	e, _ = next(redactSub)
	assert.Equal(t, "Deleted", e.Kind)
	assert.Nil(t, e.New, "Deleted has no new record")

	e, _ = next(deletes)
	assert.Equal(t, "Deleted", e.Kind, "filters apply")

	// A sensitive key is redacted.
	e, _ = next(vaultSub)
	assert.Equal(t, store.Redacted, e.Key)

	// Redact worked on a copy: the events others receive are untouched.
	typedEvent := <-typed.C()
	assert.Equal(t, "hunter2", typedEvent.New.Secret)
}
