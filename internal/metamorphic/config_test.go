package metamorphic

import (
	"path/filepath"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/synapsed/storegen/internal/redistest"
	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/bbolt"
	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/compress"
	"github.com/synapsed/storegen/runtime/backend/etcd"
	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/backend/pebble"
	"github.com/synapsed/storegen/runtime/backend/redis"
	"github.com/synapsed/storegen/runtime/backend/sqlite"
)

// opener opens a configuration's engine; every call after the first opens
// it again on the data the previous one left.
type opener func() (backend.Backend, error)

// engine is one of the engines the log runs on.
type engine struct {
	name string
	// ops, when set, is how many operations of the log the engine's
	// configurations run by default, fewer than the others (see
	// defaultOps).
	ops int
	// durable engines keep their data across Close, so reopen reopens
	// them; the memory engine does not, so reopen leaves it open.
	durable bool
	// start readies the engine for the test, starting its server if it
	// has one, and returns the opener of the configuration called id.
	start func(t *testing.T) func(t *testing.T, id string) opener
}

var engines = []engine{
	{name: "memory", start: func(*testing.T) func(*testing.T, string) opener {
		return func(*testing.T, string) opener {
			b := memory.New()
			return func() (backend.Backend, error) { return b, nil }
		}
	}},
	{name: "pebble", durable: true, start: func(*testing.T) func(*testing.T, string) opener {
		return func(t *testing.T, _ string) opener {
			dir := t.TempDir()
			return func() (backend.Backend, error) { return pebble.Open(dir, pebble.NoSync(), pebble.CacheSize(1<<20)) }
		}
	}},
	{name: "bbolt", durable: true, start: func(*testing.T) func(*testing.T, string) opener {
		return func(t *testing.T, _ string) opener {
			path := filepath.Join(t.TempDir(), "bbolt.db")
			return func() (backend.Backend, error) { return bbolt.Open(path, bbolt.NoSync()) }
		}
	}},
	{name: "sqlite", durable: true, start: func(*testing.T) func(*testing.T, string) opener {
		return func(t *testing.T, _ string) opener {
			path := filepath.Join(t.TempDir(), "sqlite.db")
			return func() (backend.Backend, error) { return sqlite.Open(path, sqlite.NoSync()) }
		}
	}},
	// The remote engines' configurations share one server, each under a
	// key prefix of its own.
	{name: "redis", ops: redisOps, durable: true, start: func(t *testing.T) func(*testing.T, string) opener {
		srv := redistest.Start(t)
		return func(t *testing.T, id string) opener {
			return func() (backend.Backend, error) {
				return redis.Open(t.Context(), &goredis.Options{Addr: srv.Addr()}, redis.Prefix(id+":"))
			}
		}
	}},
	{name: "etcd", ops: etcdOps, durable: true, start: func(t *testing.T) func(*testing.T, string) opener {
		cluster := etcdtest.Start(t)
		return func(t *testing.T, id string) opener {
			return func() (backend.Backend, error) {
				return etcd.Open(t.Context(), cluster.Endpoints(), etcd.Prefix("/"+id+"/"))
			}
		}
	}},
}

// layer is what a configuration puts between the store and the engine.
type layer struct {
	name string
	wrap func(backend.Backend) backend.Backend
}

// cacheEntries is kept well below the number of live records so that the
// caches evict while the log runs.
const cacheEntries = 48

var layers = []layer{
	{"bare", func(b backend.Backend) backend.Backend { return b }},
	{"lru", func(b backend.Backend) backend.Backend {
		return cache.New(b, cache.Policy(cache.LRU), cache.MaxEntries(cacheEntries))
	}},
	// The LFU cache also remembers missing keys, whose entries writes must
	// invalidate too.
	{"lfu", func(b backend.Backend) backend.Backend {
		return cache.New(b, cache.Policy(cache.LFU), cache.MaxEntries(cacheEntries), cache.CacheMissing())
	}},
	{"lz4", func(b backend.Backend) backend.Backend { return compress.New(b, compress.LZ4) }},
	{"zstd", func(b backend.Backend) backend.Backend { return compress.New(b, compress.Zstd) }},
	{"s2", func(b backend.Backend) backend.Backend { return compress.New(b, compress.S2) }},
	{"lru_over_zstd", func(b backend.Backend) backend.Backend {
		return cache.New(compress.New(b, compress.Zstd), cache.Policy(cache.LRU), cache.MaxEntries(cacheEntries))
	}},
}

// layered opens the engine of open and puts l over it.
func layered(open opener, l layer) opener {
	return func() (backend.Backend, error) {
		b, err := open()
		if err != nil {
			return nil, err
		}
		return l.wrap(b), nil
	}
}
