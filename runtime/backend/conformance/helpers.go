package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// Helpers for an engine's own tests, beside the suite.

// Put commits key-value pairs, given alternately, in one transaction.
func Put(t testing.TB, b backend.Backend, kv ...string) {
	t.Helper()
	require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
		for i := 0; i < len(kv); i += 2 {
			if err := tx.Set([]byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	}))
}

// OpenView opens a view of b that is closed when t ends.
func OpenView(t testing.TB, b backend.Backend) backend.View {
	t.Helper()
	v, err := b.View(t.Context())
	require.NoError(t, err)
	t.Cleanup(func() { v.Close() })
	return v
}

// Keys drains it, closes it, and returns its keys.
func Keys(t testing.TB, it backend.Iterator) []string {
	t.Helper()
	var out []string
	for it.Next() {
		out = append(out, string(it.Key()))
	}
	assert.NoError(t, it.Close())
	return out
}
