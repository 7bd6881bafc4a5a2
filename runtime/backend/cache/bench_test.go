package cache_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/backend/pebble"
)

const benchKeys = 10_000

func benchKey(i int) []byte { return fmt.Appendf(nil, "user/%08d", i) }

// benchEngines open an inner engine filled with benchKeys values of about
// 200 bytes.
var benchEngines = []struct {
	name string
	open func(b *testing.B) backend.Backend
}{
	{"memory", func(*testing.B) backend.Backend { return memory.New() }},
	{"pebble", func(b *testing.B) backend.Backend {
		db, err := pebble.Open(filepath.Join(b.TempDir(), "db"), pebble.NoSync())
		require.NoError(b, err)
		return db
	}},
}

func fill(b *testing.B, db backend.Backend) {
	value := make([]byte, 200)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	require.NoError(b, db.Update(context.Background(), func(txn backend.Txn) error {
		for i := range benchKeys {
			if err := txn.Set(benchKey(i), value); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(b, db.Flush(context.Background()))
}

// benchLayers are what BenchmarkGet compares: the engine's own Get, and a
// cache holding every key, so each Get hits.
var benchLayers = []struct {
	name string
	wrap func(backend.Backend) backend.Backend
}{
	{"direct", func(db backend.Backend) backend.Backend { return db }},
	{"cache-LRU", func(db backend.Backend) backend.Backend { return cache.New(db, cache.Policy(cache.LRU)) }},
	{"cache-LFU", func(db backend.Backend) backend.Backend { return cache.New(db, cache.Policy(cache.LFU)) }},
}

// BenchmarkGet compares a cache hit with the inner engine's Get, on one
// goroutine and on all of them. The ratio of direct to cache ns/op is the
// cache's speedup on a hit.
func BenchmarkGet(b *testing.B) {
	for _, eng := range benchEngines {
		for _, layer := range benchLayers {
			for _, parallel := range []bool{false, true} {
				name := eng.name + "/" + layer.name
				if parallel {
					name += "/parallel"
				}
				b.Run(name, func(b *testing.B) {
					inner := eng.open(b)
					fill(b, inner)
					db := layer.wrap(inner)
					defer db.Close()
					keys := make([][]byte, benchKeys)
					for i := range keys {
						keys[i] = benchKey(i)
						_, err := db.Get(context.Background(), keys[i], nil) // warm the cache
						require.NoError(b, err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					if !parallel {
						ctx, buf := context.Background(), make([]byte, 0, 256)
						i := 0
						for b.Loop() {
							if _, err := db.Get(ctx, keys[i%benchKeys], buf[:0]); err != nil {
								b.Fatal(err)
							}
							i++
						}
						return
					}
					b.RunParallel(func(pb *testing.PB) {
						ctx, buf := context.Background(), make([]byte, 0, 256)
						i := 0
						for pb.Next() {
							if _, err := db.Get(ctx, keys[i%benchKeys], buf[:0]); err != nil {
								b.Error(err)
								return
							}
							i += 7
						}
					})
				})
			}
		}
	}
}

// BenchmarkUpdate compares an Update that sets one cached key of about a
// kilobyte through the cache with the same Update on the inner engine: the
// difference is what the cache's write-through costs a writer.
func BenchmarkUpdate(b *testing.B) {
	for _, layer := range benchLayers[:2] {
		b.Run("memory/"+layer.name, func(b *testing.B) {
			inner := memory.New()
			fill(b, inner)
			db := layer.wrap(inner)
			defer db.Close()
			ctx := context.Background()
			keys := make([][]byte, 64)
			for i := range keys {
				keys[i] = benchKey(i)
				_, err := db.Get(ctx, keys[i], nil) // cached, so written through
				require.NoError(b, err)
			}
			value := make([]byte, 1024)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				value[0] = byte(i)
				err := db.Update(ctx, func(txn backend.Txn) error { return txn.Set(keys[i%len(keys)], value) })
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
