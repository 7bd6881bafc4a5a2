package ycsb

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/synapsed/storegen/internal/redistest"
	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/bbolt"
	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/etcd"
	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/backend/pebble"
	"github.com/synapsed/storegen/runtime/backend/redis"
	"github.com/synapsed/storegen/runtime/backend/sqlite"
)

// engine opens an empty backend for a benchmark, starting its server if it
// has one; whatever it starts ends with b. The durable engines commit
// without syncing (the benchmarks compare the engines' read and write
// paths, not the disk's flush latency) and the remote ones run on loopback.
type engine struct {
	name string
	open func(b *testing.B) backend.Backend
}

var (
	pebbleEngine = engine{"pebble", func(b *testing.B) backend.Backend {
		p, err := pebble.Open(b.TempDir(), pebble.NoSync())
		must(b, err)
		return p
	}}
	// pebbleLRU is Pebble behind the LRU read cache with its default
	// budget (cache.DefaultMaxBytes), which holds the hot rows and most of
	// the others. Its hits and misses are counted in cacheHits and
	// cacheMisses.
	pebbleLRU = engine{"pebble+lru", func(b *testing.B) backend.Backend { return withLRU(pebbleEngine.open(b)) }}
)

// withLRU puts the LRU read cache with its default budget in front of
// inner, counting its hits and misses in cacheHits and cacheMisses.
func withLRU(inner backend.Backend) backend.Backend {
	return cache.New(inner, cache.Policy(cache.LRU), cache.OnAccess(countAccess))
}

var cacheHits, cacheMisses atomic.Int64

func countAccess(hit bool) {
	if hit {
		cacheHits.Add(1)
	} else {
		cacheMisses.Add(1)
	}
}

var engines = []engine{
	{"memory", func(*testing.B) backend.Backend { return memory.New() }},
	pebbleEngine,
	{"bbolt", func(b *testing.B) backend.Backend {
		e, err := bbolt.Open(filepath.Join(b.TempDir(), "bbolt.db"), bbolt.NoSync())
		must(b, err)
		return e
	}},
	{"sqlite", func(b *testing.B) backend.Backend {
		e, err := sqlite.Open(filepath.Join(b.TempDir(), "sqlite.db"), sqlite.NoSync())
		must(b, err)
		return e
	}},
	{"redis", func(b *testing.B) backend.Backend {
		srv := redistest.Start(b)
		e, err := redis.Open(context.Background(), &goredis.Options{Addr: srv.Addr()})
		must(b, err)
		return e
	}},
	{"etcd", func(b *testing.B) backend.Backend {
		cluster := etcdtest.Start(b)
		e, err := etcd.Open(context.Background(), cluster.Endpoints())
		must(b, err)
		return e
	}},
	pebbleLRU,
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
