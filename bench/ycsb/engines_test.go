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
	"github.com/synapsed/storegen/runtime/backend/redis"
	"github.com/synapsed/storegen/runtime/backend/sqlite"
)

// engine loads the benchmark's rows into a new database for a benchmark,
// starting its server if it has one; whatever it starts ends with b. The
// durable engines commit without syncing (the benchmarks compare the
// engines' read and write paths, not the disk's flush latency) and the
// remote ones run on loopback.
type engine struct {
	name string
	load func(b *testing.B, d *dataset) *RecordStore
}

// opened is an engine loaded through a store on what open returns.
func opened(name string, open func(b *testing.B) backend.Backend) engine {
	return engine{name, func(b *testing.B, d *dataset) *RecordStore { return fill(b, open(b), d) }}
}

// settled is Pebble under layer, compacted after loading (see loadSettled).
func settled(name string, layer func(backend.Backend) backend.Backend) engine {
	return engine{name, func(b *testing.B, d *dataset) *RecordStore { return loadSettled(b, d, layer) }}
}

var (
	pebbleEngine = settled("pebble", func(p backend.Backend) backend.Backend { return p })
	// pebbleLRU is Pebble behind the LRU read cache with its default
	// budget (cache.DefaultMaxBytes), which holds the hot rows and most of
	// the others.
	pebbleLRU = settled("pebble+lru", withLRU)
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
	opened("memory", func(*testing.B) backend.Backend { return memory.New() }),
	pebbleEngine,
	opened("bbolt", func(b *testing.B) backend.Backend {
		e, err := bbolt.Open(filepath.Join(b.TempDir(), "bbolt.db"), bbolt.NoSync())
		must(b, err)
		return e
	}),
	opened("sqlite", func(b *testing.B) backend.Backend {
		e, err := sqlite.Open(filepath.Join(b.TempDir(), "sqlite.db"), sqlite.NoSync())
		must(b, err)
		return e
	}),
	opened("redis", func(b *testing.B) backend.Backend {
		srv := redistest.Start(b)
		e, err := redis.Open(context.Background(), &goredis.Options{Addr: srv.Addr()})
		must(b, err)
		return e
	}),
	opened("etcd", func(b *testing.B) backend.Backend {
		cluster := etcdtest.Start(b)
		e, err := etcd.Open(context.Background(), cluster.Endpoints())
		must(b, err)
		return e
	}),
	pebbleLRU,
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
