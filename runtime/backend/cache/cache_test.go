package cache_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/conformance"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/backend/pebble"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// engine opens an inner backend in dir; durable engines reopen from it.
type engine struct {
	name    string
	open    func(t *testing.T, dir string) backend.Backend
	durable bool
}

var engines = []engine{
	{name: "memory", open: func(*testing.T, string) backend.Backend { return memory.New() }},
	{name: "pebble", durable: true, open: func(t *testing.T, dir string) backend.Backend {
		// The cache plays no part in durability, so skip the syncs.
		b, err := pebble.Open(filepath.Join(dir, "db"), pebble.NoSync(), pebble.CacheSize(1<<20))
		require.NoError(t, err)
		return b
	}},
}

// policies are the cache configurations the suite runs with: each eviction
// policy at the default size, and each in a tiny cache that remembers
// missing keys, so that evictions and negative entries happen throughout
// the suite. Over Pebble only the tiny ones run, which cover both policies
// and every code path, to keep the package's tests quick under -race.
var policies = []struct {
	name        string
	opts        []cache.Option
	everyEngine bool
}{
	{"LRU", []cache.Option{cache.Policy(cache.LRU)}, false},
	{"LFU", []cache.Option{cache.Policy(cache.LFU)}, false},
	{"LRU-tiny-missing", []cache.Option{cache.MaxEntries(8), cache.Shards(4), cache.CacheMissing()}, true},
	{"LFU-tiny-bytes-missing", []cache.Option{cache.Policy(cache.LFU), cache.MaxBytes(4 << 10), cache.CacheMissing()}, true},
}

func TestConformance(t *testing.T) {
	for _, eng := range engines {
		for _, p := range policies {
			if eng.name != "memory" && !p.everyEngine {
				continue
			}
			t.Run(eng.name+"/"+p.name, func(t *testing.T) {
				t.Parallel() // independent engines; the suite runs in order within each
				runConformance(t, eng, func(inner backend.Backend) backend.Backend {
					return cache.New(inner, p.opts...)
				})
			})
		}
	}
}

// runConformance runs the shared suite on wrap(engine), reopening the
// inner engine's files under a new layer for durable engines.
func runConformance(t *testing.T, eng engine, wrap func(backend.Backend) backend.Backend) {
	var mu sync.Mutex
	dirs := map[backend.Backend]string{}
	open := func(t *testing.T, dir string) backend.Backend {
		b := wrap(eng.open(t, dir))
		mu.Lock()
		dirs[b] = dir
		mu.Unlock()
		return b
	}
	var opts []conformance.Option
	if eng.durable {
		opts = append(opts, conformance.Reopen(func(t *testing.T, b backend.Backend) backend.Backend {
			require.NoError(t, b.Close())
			mu.Lock()
			dir := dirs[b]
			mu.Unlock()
			return open(t, dir)
		}))
	}
	conformance.Run(t, func(t *testing.T) backend.Backend { return open(t, t.TempDir()) }, opts...)
}

// get returns the value of key, or "<missing>".
func get(t testing.TB, b backend.Backend, key string) string {
	t.Helper()
	v, err := b.Get(context.Background(), []byte(key), nil)
	if errors.Is(err, backend.ErrNotFound) {
		return "<missing>"
	}
	require.NoError(t, err)
	return string(v)
}

// TestCountersScripted runs one sequence of reads and writes through a
// single-shard cache of two entries and checks, step by step, which reads
// each policy answers and what the counters say at the end.
func TestCountersScripted(t *testing.T) {
	type step struct {
		op       string // "get", "set" or "del"
		key      string
		want     string
		lru, lfu bool // whether the get is a hit
	}
	steps := []step{
		{op: "get", key: "a", want: "1"},
		{op: "get", key: "a", want: "1", lru: true, lfu: true},
		{op: "get", key: "b", want: "2"},
		{op: "get", key: "a", want: "1", lru: true, lfu: true},
		{op: "get", key: "c", want: "3"},            // evicts b under both: least recent, least used
		{op: "get", key: "b", want: "2"},            // LRU evicts a, LFU evicts c (a was used 3 times)
		{op: "get", key: "c", want: "3", lru: true}, // LFU evicts b
		{op: "get", key: "a", want: "1", lfu: true}, // LRU evicts b
		{op: "get", key: "x", want: "<missing>"},    // absent keys are not cached by default
		{op: "get", key: "x", want: "<missing>"},
		{op: "set", key: "a", want: "10"},                       // written through: a is cached
		{op: "get", key: "a", want: "10", lru: true, lfu: true}, // the committed value
		{op: "del", key: "a"},
		{op: "get", key: "a", want: "<missing>"},
	}
	type counts struct{ hits, misses, evictions, invalidations, writes uint64 }
	cases := []struct {
		policy cache.Eviction
		hit    func(step) bool
		want   counts
	}{
		{cache.LRU, func(s step) bool { return s.lru }, counts{hits: 4, misses: 8, evictions: 3, invalidations: 2, writes: 1}},
		{cache.LFU, func(s step) bool { return s.lfu }, counts{hits: 4, misses: 8, evictions: 3, invalidations: 2, writes: 1}},
	}
	for _, c := range cases {
		t.Run(c.policy.String(), func(t *testing.T) {
			var hooked []bool
			b := cache.New(memory.New(), cache.Policy(c.policy), cache.MaxEntries(2), cache.Shards(1),
				cache.OnAccess(func(hit bool) { hooked = append(hooked, hit) }))
			defer b.Close()
			conformance.Put(t, b, "a", "1", "b", "2", "c", "3")
			var wantHooks []bool
			for i, s := range steps {
				before := b.CacheStats().Hits
				switch s.op {
				case "get":
					require.Equal(t, s.want, get(t, b, s.key), "step %d", i)
					assert.Equal(t, c.hit(s), b.CacheStats().Hits > before, "step %d: get %s hit", i, s.key)
					wantHooks = append(wantHooks, c.hit(s))
				case "set":
					conformance.Put(t, b, s.key, s.want)
				case "del":
					require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
						return txn.Delete([]byte(s.key))
					}))
				}
			}
			st := b.CacheStats()
			assert.Equal(t, c.want, counts{st.Hits, st.Misses, st.Evictions, st.Invalidations, st.Writes})
			assert.InDelta(t, 4.0/12, st.HitRate(), 1e-9)
			assert.Equal(t, wantHooks, hooked, "OnAccess calls")
			assert.LessOrEqual(t, st.Entries, int64(2))

			figures, err := b.Stats(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "memory", figures.Engine)
			assert.Equal(t, int64(st.Hits), figures.Figures["cache_hits"])
			assert.Equal(t, int64(st.Misses), figures.Figures["cache_misses"])
			assert.Equal(t, int64(st.Evictions), figures.Figures["cache_evictions"])
			assert.Equal(t, int64(st.Invalidations), figures.Figures["cache_invalidations"])
			assert.Equal(t, int64(st.Writes), figures.Figures["cache_writes"])
			assert.Equal(t, st.Entries, figures.Figures["cache_entries"])
			assert.Equal(t, st.Bytes, figures.Figures["cache_bytes"])
		})
	}
}

// TestCacheMissing checks that remembered absent keys are answered from
// the cache and forgotten when a write creates them.
func TestCacheMissing(t *testing.T) {
	b := cache.New(memory.New(), cache.CacheMissing())
	defer b.Close()
	assert.Equal(t, "<missing>", get(t, b, "k"))
	assert.Equal(t, "<missing>", get(t, b, "k"))
	assert.Equal(t, uint64(1), b.CacheStats().Hits, "the second lookup of an absent key")
	conformance.Put(t, b, "k", "v")
	assert.Equal(t, "v", get(t, b, "k"))
	assert.Equal(t, uint64(1), b.CacheStats().Invalidations)
}

// TestRollbackKeepsCache checks that an Update that fails or panics after
// writing cached keys leaves their entries cached and correct.
func TestRollbackKeepsCache(t *testing.T) {
	errFail := errors.New("fail")
	ends := map[string]func() error{
		"error": func() error { return errFail },
		"panic": func() error { panic("boom") },
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			b := cache.New(memory.New(), cache.CacheMissing())
			defer b.Close()
			conformance.Put(t, b, "a", "1")
			require.Equal(t, "1", get(t, b, "a"))
			require.Equal(t, "<missing>", get(t, b, "new"))
			before := b.CacheStats()

			func() {
				defer func() { _ = recover() }()
				_ = b.Update(t.Context(), func(txn backend.Txn) error {
					if err := txn.Set([]byte("a"), []byte("changed")); err != nil {
						return err
					}
					if err := txn.Set([]byte("new"), []byte("x")); err != nil {
						return err
					}
					return end()
				})
			}()

			after := b.CacheStats()
			assert.Equal(t, before.Entries, after.Entries, "entries")
			assert.Zero(t, after.Invalidations, "a rolled-back Update invalidated entries")
			assert.Zero(t, after.Writes, "a rolled-back Update wrote through")
			assert.Equal(t, "1", get(t, b, "a"))
			assert.Equal(t, "<missing>", get(t, b, "new"))
			assert.Equal(t, before.Hits+2, b.CacheStats().Hits, "both reads should still hit")

			conformance.Put(t, b, "a", "2")
			assert.Equal(t, "2", get(t, b, "a"), "after a committed write")
		})
	}
}

// TestMaxBytes checks that the byte bound holds and that a value too large
// for the budget is served but never cached.
func TestMaxBytes(t *testing.T) {
	const budget = 2 << 10
	b := cache.New(memory.New(), cache.MaxBytes(budget), cache.Shards(1))
	defer b.Close()
	var kv []string
	for i := range 100 {
		kv = append(kv, fmt.Sprintf("key/%03d", i), fmt.Sprintf("value %03d", i))
	}
	conformance.Put(t, b, kv...)
	for i := range 100 {
		get(t, b, fmt.Sprintf("key/%03d", i))
	}
	st := b.CacheStats()
	assert.LessOrEqual(t, st.Bytes, int64(budget))
	assert.Positive(t, st.Entries)
	assert.Less(t, st.Entries, int64(100))
	assert.Equal(t, uint64(100)-uint64(st.Entries), st.Evictions)

	big := string(make([]byte, budget))
	conformance.Put(t, b, "big", big)
	for range 2 {
		assert.Equal(t, big, get(t, b, "big"))
	}
	assert.Equal(t, st.Hits, b.CacheStats().Hits, "a value larger than the budget was cached")
}

// TestGetHitDoesNotAllocate checks that a hit only copies into the caller's
// buffer.
func TestGetHitDoesNotAllocate(t *testing.T) {
	for _, p := range []cache.Eviction{cache.LRU, cache.LFU} {
		t.Run(p.String(), func(t *testing.T) {
			var hits int
			b := cache.New(memory.New(), cache.Policy(p), cache.OnAccess(func(hit bool) {
				if hit {
					hits++
				}
			}))
			defer b.Close()
			long := "a key longer than the thirty-two bytes a string conversion could keep on the stack"
			conformance.Put(t, b, long, "value")
			key, buf, ctx := []byte(long), make([]byte, 0, 16), context.Background()
			_, err := b.Get(ctx, key, nil)
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(100, func() {
				if _, err := b.Get(ctx, key, buf[:0]); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs)
			assert.Positive(t, hits)
		})
	}
}

func TestPath(t *testing.T) {
	mem := cache.New(memory.New())
	assert.Empty(t, mem.Path(), "memory has no path")
	require.NoError(t, mem.Close())

	dir := filepath.Join(t.TempDir(), "db")
	inner, err := pebble.Open(dir, pebble.NoSync())
	require.NoError(t, err)
	b := cache.New(inner)
	defer b.Close()
	var p backend.Pather = b
	assert.Equal(t, dir, p.Path())
}
