package record

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	pebbledb "github.com/cockroachdb/pebble/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/synapsed/storegen/internal/cputime"
	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/bbolt"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/backend/pebble"
	"github.com/synapsed/storegen/runtime/store"
)

// The typed-read benchmarks read the same records three ways: through the
// generated store (typed), with the engine's own API on the very bytes the
// store wrote (engine), and, on Pebble, the way programs do without
// storegen: Pebble's API with encoding/json values (json). Every side reads
// the same keys in the same shuffled order from a database of its own that
// holds the same data, flushed to table files and read once so that the
// block cache (Pebble) or the page cache (bbolt) holds it.

const getRecords = 10_000

// kv is one stored key and value.
type kv struct{ key, value []byte }

// storedForm returns every key and value that the generated store writes
// for the benchmark's records, index entries included, and the value key of
// each record of ids, in the order of ids.
func storedForm(b *testing.B, ids []string) (all []kv, valueKeys [][]byte) {
	b.Helper()
	mem := memory.New()
	db, err := store.Open(mem)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	orders := NewOrderStore(db)
	vs := make([]Order, getRecords)
	for i := range vs {
		vs[i] = Sample(i)
	}
	if err := orders.PutAll(ctx, vs); err != nil {
		b.Fatal(err)
	}
	view, err := mem.View(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer view.Close()
	// The key layout is the runtime's: a record's key is the one whose
	// value decodes (index entries hold keys, which do not).
	keyOf := make(map[string][]byte, getRecords)
	it := view.Range(nil, nil, false)
	for it.Next() {
		e := kv{key: clone(it.Key()), value: clone(it.Value())}
		all = append(all, e)
		var v Order
		if decodeOrder(e.value, &v) == nil {
			keyOf[v.ID] = e.key
		}
	}
	if err := it.Close(); err != nil {
		b.Fatal(err)
	}
	for _, id := range ids {
		k, ok := keyOf[id]
		if !ok {
			b.Fatalf("no stored value for %s", id)
		}
		valueKeys = append(valueKeys, k)
	}
	return all, valueKeys
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// pebbleOptions are those of both native Pebble databases: the block cache
// of the backend's default size, so that it holds the data on every side.
func pebbleOptions() *pebbledb.Options {
	return &pebbledb.Options{CacheSize: pebble.DefaultCacheSize, Logger: quiet{}}
}

type quiet struct{}

func (quiet) Infof(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(f string, a ...any) {
	panic("pebble: fatal: " + f)
}

// writePebble creates a Pebble database in dir holding kvs, flushed to
// table files, and closes it.
func writePebble(b *testing.B, dir string, kvs []kv) {
	b.Helper()
	db, err := pebbledb.Open(dir, pebbleOptions())
	if err != nil {
		b.Fatal(err)
	}
	batch := db.NewBatch()
	for _, e := range kvs {
		if err := batch.Set(e.key, e.value, nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := batch.Commit(pebbledb.NoSync); err != nil {
		b.Fatal(err)
	}
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// openPebble opens the native database in dir and reads it once.
func openPebble(b *testing.B, dir string) *pebbledb.DB {
	b.Helper()
	db, err := pebbledb.Open(dir, pebbleOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	it, err := db.NewIter(nil)
	if err != nil {
		b.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		_ = it.Value()
	}
	if err := it.Close(); err != nil {
		b.Fatal(err)
	}
	return db
}

// openStore opens a DB on be and reads every record once.
func openStore(b *testing.B, be backend.Backend) *OrderStore {
	b.Helper()
	db, err := store.Open(be)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	orders := NewOrderStore(db)
	n := 0
	for _, err := range orders.Scan(context.Background()) {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != getRecords {
		b.Fatalf("store holds %d records, want %d", n, getRecords)
	}
	return orders
}

func BenchmarkGetPebble(b *testing.B) {
	ids := ShuffledKeys(getRecords)
	all, valueKeys := storedForm(b, ids)
	tmp := b.TempDir()
	engineDir, typedDir, jsonDir := filepath.Join(tmp, "engine"), filepath.Join(tmp, "typed"), filepath.Join(tmp, "json")
	writePebble(b, engineDir, all)
	if err := os.CopyFS(typedDir, os.DirFS(engineDir)); err != nil {
		b.Fatal(err)
	}
	jsonKVs := make([]kv, getRecords)
	for i := range jsonKVs {
		v := Sample(i)
		js, err := json.Marshal(&v)
		if err != nil {
			b.Fatal(err)
		}
		jsonKVs[i] = kv{key: []byte("order/" + v.ID), value: js}
	}
	writePebble(b, jsonDir, jsonKVs)

	engine := openPebble(b, engineDir)
	be, err := pebble.Open(typedDir, pebble.NoSync())
	if err != nil {
		b.Fatal(err)
	}
	orders := openStore(b, be)
	hand := openPebble(b, jsonDir)

	b.Run("engine", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for i := 0; b.Loop(); i++ {
			v, closer, err := engine.Get(valueKeys[i%getRecords])
			if err != nil {
				b.Fatal(err)
			}
			buf = append(buf[:0], v...)
			if err := closer.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed", func(b *testing.B) { typedGets(b, orders, ids) })
	// backend and backend+decode split the typed Get: the engine read
	// through the backend interface, then the generated decoder without
	// the store around it.
	b.Run("backend", func(b *testing.B) { backendGets(b, be, valueKeys, false) })
	b.Run("backend+decode", func(b *testing.B) { backendGets(b, be, valueKeys, true) })
	b.Run("json", func(b *testing.B) {
		key := make([]byte, 0, 64)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for i := 0; b.Loop(); i++ {
			key = append(append(key[:0], "order/"...), ids[i%getRecords]...)
			js, closer, err := hand.Get(key)
			if err != nil {
				b.Fatal(err)
			}
			var v Order
			err = json.Unmarshal(js, &v)
			closer.Close()
			if err != nil || v.ID != ids[i%getRecords] {
				b.Fatal(err, v.ID)
			}
		}
	})
}

// backendGets reads keys through be, in order, and decodes each value when
// decode is set.
func backendGets(b *testing.B, be backend.Backend, keys [][]byte, decode bool) {
	ctx := context.Background()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	defer cputime.PerOp(b)()
	for i := 0; b.Loop(); i++ {
		var err error
		if buf, err = be.Get(ctx, keys[i%len(keys)], buf[:0]); err != nil {
			b.Fatal(err)
		}
		if decode {
			var v Order
			if err := decodeOrder(buf, &v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// boltOptions are those of the native bbolt file: the mapping the backend
// makes by default.
var boltOptions = &bolt.Options{NoSync: true, InitialMmapSize: bbolt.DefaultMmapSize}

func BenchmarkGetBbolt(b *testing.B) {
	ids := ShuffledKeys(getRecords)
	all, valueKeys := storedForm(b, ids)
	tmp := b.TempDir()
	enginePath, typedPath := filepath.Join(tmp, "engine.bolt"), filepath.Join(tmp, "typed.bolt")
	bucket := []byte(bbolt.DefaultBucket)
	for _, path := range []string{enginePath, typedPath} {
		db, err := bolt.Open(path, 0o600, boltOptions)
		if err != nil {
			b.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists(bucket)
			if err != nil {
				return err
			}
			for _, e := range all {
				if err := bk.Put(e.key, e.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}

	engine, err := bolt.Open(enginePath, 0o600, boltOptions)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = engine.Close() })
	err = engine.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error { return nil })
	})
	if err != nil {
		b.Fatal(err)
	}
	be, err := bbolt.Open(typedPath, bbolt.NoSync())
	if err != nil {
		b.Fatal(err)
	}
	orders := openStore(b, be)

	b.Run("engine", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for i := 0; b.Loop(); i++ {
			err := engine.View(func(tx *bolt.Tx) error {
				buf = append(buf[:0], tx.Bucket(bucket).Get(valueKeys[i%getRecords])...)
				return nil
			})
			if err != nil || len(buf) == 0 {
				b.Fatal(err, len(buf))
			}
		}
	})
	b.Run("typed", func(b *testing.B) { typedGets(b, orders, ids) })
}

// typedGets reads the records of ids, in turn, through the generated store.
func typedGets(b *testing.B, orders *OrderStore, ids []string) {
	ctx := context.Background()
	b.ReportAllocs()
	defer cputime.PerOp(b)()
	for i := 0; b.Loop(); i++ {
		v, err := orders.Get(ctx, ids[i%len(ids)])
		if err != nil || v.ID != ids[i%len(ids)] {
			b.Fatal(err, v.ID)
		}
	}
}
