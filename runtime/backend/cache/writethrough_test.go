package cache_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/conformance"
	"github.com/synapsed/storegen/runtime/backend/memory"
)

// op is one write of a transaction in TestWriteThrough: a Set of value, or
// a Delete when value is del.
type op struct{ key, value string }

const del = "<delete>"

func apply(ops ...op) func(backend.Txn) error {
	return func(txn backend.Txn) error {
		for _, o := range ops {
			var err error
			if o.value == del {
				err = txn.Delete([]byte(o.key))
			} else {
				err = txn.Set([]byte(o.key), []byte(o.value))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// TestWriteThrough commits writes to keys the cache holds, or does not,
// and checks that the next read returns the committed value, from the
// cache exactly when the key was cached.
func TestWriteThrough(t *testing.T) {
	cases := []struct {
		name    string
		missing bool // CacheMissing
		read    bool // read "a" (stored as "1") into the cache first
		ops     []op
		want    string
		hit     bool
	}{
		{name: "set", read: true, ops: []op{{"a", "2"}}, want: "2", hit: true},
		{name: "set uncached", ops: []op{{"a", "2"}}, want: "2"},
		{name: "set empty", read: true, ops: []op{{"a", ""}}, want: "", hit: true},
		{name: "set twice", read: true, ops: []op{{"a", "2"}, {"a", "3"}}, want: "3", hit: true},
		{name: "delete", read: true, ops: []op{{"a", del}}, want: "<missing>"},
		{name: "delete, missing cached", missing: true, read: true, ops: []op{{"a", del}}, want: "<missing>", hit: true},
		{name: "set then delete", read: true, ops: []op{{"a", "2"}, {"a", del}}, want: "<missing>"},
		{name: "set then delete, missing cached", missing: true, read: true, ops: []op{{"a", "2"}, {"a", del}}, want: "<missing>", hit: true},
		// Only the first write of a key knows it was cached, and a Delete
		// leaves nothing to cache without CacheMissing.
		{name: "delete then set", read: true, ops: []op{{"a", del}, {"a", "4"}}, want: "4"},
		{name: "delete then set, missing cached", missing: true, read: true, ops: []op{{"a", del}, {"a", "4"}}, want: "4", hit: true},
		{name: "other keys", read: true, ops: []op{{"b", "5"}, {"c", "6"}}, want: "1", hit: true},
	}
	for _, c := range cases {
		for _, p := range []cache.Eviction{cache.LRU, cache.LFU} {
			t.Run(c.name+"/"+p.String(), func(t *testing.T) {
				opts := []cache.Option{cache.Policy(p)}
				if c.missing {
					opts = append(opts, cache.CacheMissing())
				}
				b := cache.New(memory.New(), opts...)
				defer b.Close()
				conformance.Put(t, b, "a", "1")
				if c.read {
					require.Equal(t, "1", get(t, b, "a"))
				}
				require.NoError(t, b.Update(t.Context(), apply(c.ops...)))
				before := b.CacheStats().Hits
				assert.Equal(t, c.want, get(t, b, "a"))
				assert.Equal(t, c.hit, b.CacheStats().Hits > before, "hit")
				assert.Equal(t, c.want, get(t, b, "a"), "read again")
			})
		}
	}
}

// TestWriteThroughCopiesValue reuses the value's buffer after Set, as
// callers may: the cache must hold what was committed.
func TestWriteThroughCopiesValue(t *testing.T) {
	b := cache.New(memory.New())
	defer b.Close()
	conformance.Put(t, b, "a", "1")
	require.Equal(t, "1", get(t, b, "a"))
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		buf := []byte("2")
		err := txn.Set([]byte("a"), buf)
		buf[0] = 'x'
		return err
	}))
	assert.Equal(t, "2", get(t, b, "a"))
	assert.Equal(t, uint64(1), b.CacheStats().Writes)
}

// unordered is an engine whose Updates do not wait for each other, as an
// optimistic engine's need not: fn writes to a batch of its own, which is
// applied to the memory engine at commit, so that two Updates may commit
// in one order and return in the other. afterCommit, if set, runs between
// a commit and the return of its Update; with commitErr set, every commit
// fails and applies nothing.
type unordered struct {
	backend.Backend
	afterCommit func(batch map[string]string)
	commitErr   error
}

func (u *unordered) Update(ctx context.Context, fn func(backend.Txn) error) error {
	t := &batchTxn{sets: map[string]string{}}
	if err := fn(t); err != nil {
		return err
	}
	if u.commitErr != nil {
		return u.commitErr
	}
	err := u.Backend.Update(ctx, func(txn backend.Txn) error {
		for k, v := range t.sets {
			if err := txn.Set([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if u.afterCommit != nil {
		u.afterCommit(t.sets)
	}
	return err
}

// batchTxn collects the Sets of an unordered Update. The tests using it do
// not read in transactions or delete, so the embedded Txn is nil.
type batchTxn struct {
	backend.Txn
	sets map[string]string
}

func (t *batchTxn) Set(key, value []byte) error {
	t.sets[string(key)] = string(value)
	return nil
}

// TestWriteThroughCommitOrder commits "A" and then "B" to a cached key,
// with the Update of "A" returning last: the cache must not take "A" for
// the latest value because its Update ended last.
func TestWriteThroughCommitOrder(t *testing.T) {
	inner := &unordered{Backend: memory.New()}
	b := cache.New(inner, cache.Shards(1))
	defer b.Close()
	conformance.Put(t, b, "k", "0")
	require.Equal(t, "0", get(t, b, "k"))

	committed, resume := make(chan struct{}), make(chan struct{})
	inner.afterCommit = func(batch map[string]string) {
		if batch["k"] == "A" {
			close(committed)
			<-resume
		}
	}
	done := make(chan error)
	go func() { done <- b.Update(context.Background(), apply(op{"k", "A"})) }()
	<-committed
	require.NoError(t, b.Update(t.Context(), apply(op{"k", "B"})))
	assert.Equal(t, "B", get(t, b, "k"))
	close(resume)
	require.NoError(t, <-done)
	assert.Equal(t, "B", get(t, b, "k"), "the Update that committed first wrote its value through")
	assert.Equal(t, "B", get(t, b, "k"))

	// Alone again, an Update writes through.
	require.NoError(t, b.Update(t.Context(), apply(op{"k", "C"})))
	before := b.CacheStats().Hits
	assert.Equal(t, "C", get(t, b, "k"))
	assert.Equal(t, before+1, b.CacheStats().Hits, "a lone Update after the overlap did not write through")
}

// TestFailedCommitWritesNothing checks that a write whose commit fails
// after fn returned never reaches the cache.
func TestFailedCommitWritesNothing(t *testing.T) {
	errCommit := errors.New("commit failed")
	inner := &unordered{Backend: memory.New()}
	b := cache.New(inner, cache.CacheMissing())
	defer b.Close()
	conformance.Put(t, b, "a", "1")
	require.Equal(t, "1", get(t, b, "a"))
	require.Equal(t, "<missing>", get(t, b, "new"))
	inner.commitErr = errCommit
	err := b.Update(t.Context(), apply(op{"a", "2"}, op{"new", "x"}))
	require.ErrorIs(t, err, errCommit)
	assert.Equal(t, "1", get(t, b, "a"))
	assert.Equal(t, "<missing>", get(t, b, "new"))
	assert.Zero(t, b.CacheStats().Writes)
}

// TestCoherenceWriters runs several writers that each increment the same
// counters in one transaction, read from inside it, alongside readers:
// every read must return at least the highest count a writer has seen
// commit, and no reader may see a count go back. Run it with -race.
func TestCoherenceWriters(t *testing.T) {
	const (
		writers = 3
		writes  = 300 // per writer
		readers = 3
		keys    = 4
	)
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			ctx := t.Context()
			b := cache.New(memory.New(), p.opts...)
			defer b.Close()
			key := func(i int) []byte { return []byte("count/" + strconv.Itoa(i)) }

			var floor atomic.Int64 // the highest count whose Update returned
			var running atomic.Int32
			running.Store(writers)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					defer running.Add(-1)
					for range writes {
						var n int64
						err := b.Update(ctx, func(txn backend.Txn) error {
							v, err := txn.Get(key(0), nil)
							switch {
							case errors.Is(err, backend.ErrNotFound):
								n = 1
							case err != nil:
								return err
							default:
								if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
									return err
								}
								n++
							}
							for i := range keys {
								if err := txn.Set(key(i), strconv.AppendInt(nil, n, 10)); err != nil {
									return err
								}
							}
							return nil
						})
						if !assert.NoError(t, err) {
							return
						}
						for f := floor.Load(); f < n && !floor.CompareAndSwap(f, n); f = floor.Load() {
						}
						if !assert.GreaterOrEqual(t, readCount(t, b, key(0), false), n, "writer's own read") {
							return
						}
					}
				})
			}
			for r := range readers {
				wg.Go(func() {
					seen := make([]int64, keys)
					for i := 0; running.Load() > 0; i++ {
						k := (i + r) % keys
						f := floor.Load()
						n := readCount(t, b, key(k), r%2 == 1) // half the readers use GetDecoded
						if !assert.GreaterOrEqual(t, n, f, "reader %d: key %d older than a confirmed commit", r, k) ||
							!assert.GreaterOrEqual(t, n, seen[k], "reader %d: key %d went back", r, k) {
							return
						}
						seen[k] = n
					}
				})
			}
			wg.Wait()
			for i := range keys {
				assert.Equal(t, int64(writers*writes), readCount(t, b, key(i), false))
			}
			st := b.CacheStats()
			t.Logf("hits %d, misses %d, invalidations %d, writes %d", st.Hits, st.Misses, st.Invalidations, st.Writes)
		})
	}
}
