package store_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/bbolt"
	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/backend/pebble"
	"github.com/synapsed/storegen/runtime/store"
)

// engine opens a fresh backend for a test; durable ones live in t.TempDir.
type engine struct {
	name string
	open func(t testing.TB) backend.Backend
}

var engines = []engine{
	{"memory", func(testing.TB) backend.Backend { return memory.New() }},
	{"pebble", func(t testing.TB) backend.Backend {
		b, err := pebble.Open(t.TempDir(), pebble.NoSync())
		require.NoError(t, err)
		return b
	}},
	{"bbolt", func(t testing.TB) backend.Backend {
		b, err := bbolt.Open(filepath.Join(t.TempDir(), "db"), bbolt.NoSync())
		require.NoError(t, err)
		return b
	}},
}

func openOn(t *testing.T, eng engine) (*store.DB, *store.Table[string, account]) {
	t.Helper()
	db, err := store.Open(eng.open(t))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, store.NewTable(db, &accountSchema)
}

// TestMain fails the package if any goroutine outlives its subscription or
// DB: every test closes what it opens.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, etcdtest.LeakOptions()...) }
