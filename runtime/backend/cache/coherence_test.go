package cache_test

import (
	"context"
	"errors"
	"fmt"
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

// hooked lets a test stop the inner engine at the two moments a stale
// value could slip into the cache: after a Get has read the inner engine,
// and after an Update's fn has returned but before it commits.
type hooked struct {
	backend.Backend
	afterGet     atomic.Pointer[func()] // runs once, then disarms
	beforeCommit func()
}

func (h *hooked) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	v, err := h.Backend.Get(ctx, key, buf)
	if f := h.afterGet.Swap(nil); f != nil {
		(*f)()
	}
	return v, err
}

func (h *hooked) Update(ctx context.Context, fn func(backend.Txn) error) error {
	return h.Backend.Update(ctx, func(txn backend.Txn) error {
		if err := fn(txn); err != nil {
			return err
		}
		if h.beforeCommit != nil {
			h.beforeCommit()
		}
		return nil
	})
}

// TestMissRacingCommit stops a missing Get after it read the old value
// from the inner engine, commits a new value, and lets the Get finish: it
// may return the old value (it began before the commit) but must not cache
// it.
func TestMissRacingCommit(t *testing.T) {
	for _, missing := range []bool{false, true} {
		t.Run(fmt.Sprintf("cacheMissing=%v", missing), func(t *testing.T) {
			inner := &hooked{Backend: memory.New()}
			opts := []cache.Option{cache.Shards(1)}
			if missing {
				opts = append(opts, cache.CacheMissing())
			}
			b := cache.New(inner, opts...)
			defer b.Close()
			if !missing {
				conformance.Put(t, b, "k", "old")
			}
			read, resume := make(chan struct{}), make(chan struct{})
			pause := func() { close(read); <-resume }
			inner.afterGet.Store(&pause)
			done := make(chan string)
			go func() { done <- get(t, b, "k") }()

			<-read
			conformance.Put(t, b, "k", "new")
			close(resume)
			stale := <-done
			if missing {
				assert.Equal(t, "<missing>", stale)
			} else {
				assert.Equal(t, "old", stale)
			}
			assert.Equal(t, "new", get(t, b, "k"), "the racing Get cached what it read")
			assert.Equal(t, "new", get(t, b, "k"))
		})
	}
}

// TestMissDuringCommit reads a key from inside the commit window of an
// Update that wrote it, after the cache dropped the key and before the
// inner engine made the write visible: the read sees the old value and
// must not cache it.
func TestMissDuringCommit(t *testing.T) {
	inner := &hooked{Backend: memory.New()}
	b := cache.New(inner, cache.Shards(1))
	defer b.Close()
	conformance.Put(t, b, "k", "old")
	require.Equal(t, "old", get(t, b, "k"))
	var during string
	inner.beforeCommit = func() { during = get(t, b, "k") }
	conformance.Put(t, b, "k", "new")
	inner.beforeCommit = nil
	assert.Equal(t, "old", during, "the write was visible before its commit")
	assert.Equal(t, "new", get(t, b, "k"), "a read during the commit cached the old value")
}

// TestCoherence runs a writer that counts up under several keys, deletes
// and recreates another, and rolls back every few transactions, alongside
// readers that use Get or GetDecoded. A reader notes the last count the
// writer has confirmed committed before each read and requires the value
// it reads to be at least that, and never less than one it has already
// seen; the writer requires its own reads to see each commit at once. Run
// it with -race.
func TestCoherence(t *testing.T) {
	for _, p := range policies {
		for _, read := range []string{"Get", "GetDecoded"} {
			t.Run(p.name+"/"+read, func(t *testing.T) {
				coherence(t, p.opts, read == "GetDecoded")
			})
		}
	}
}

func coherence(t *testing.T, opts []cache.Option, decoded bool) {
	const (
		writes  = 1500
		readers = 4
		keys    = 4
	)
	ctx := t.Context()
	b := cache.New(memory.New(), opts...)
	defer b.Close()
	key := func(i int) []byte { return fmt.Appendf(nil, "count/%d", i) }
	flip := []byte("flip") // present with the count when it is even, absent when odd
	errRollback := errors.New("roll back")

	var committed atomic.Int64 // the last count whose Update returned
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stop.Store(true)
		for n := int64(1); n <= writes; n++ {
			if n%7 == 0 {
				err := b.Update(ctx, func(txn backend.Txn) error {
					for i := range keys {
						if err := txn.Set(key(i), []byte("-1")); err != nil {
							return err
						}
					}
					return errRollback
				})
				if !assert.ErrorIs(t, err, errRollback) {
					return
				}
			}
			err := b.Update(ctx, func(txn backend.Txn) error {
				for i := range keys {
					if err := txn.Set(key(i), strconv.AppendInt(nil, n, 10)); err != nil {
						return err
					}
				}
				if n%2 == 1 {
					return txn.Delete(flip)
				}
				return txn.Set(flip, strconv.AppendInt(nil, n, 10))
			})
			if !assert.NoError(t, err) {
				return
			}
			committed.Store(n)
			for i := range keys {
				if !assert.Equal(t, n, readCount(t, b, key(i), decoded), "writer's own read of key %d", i) {
					return
				}
			}
			_, err = b.Get(ctx, flip, nil)
			if n%2 == 1 && !assert.ErrorIs(t, err, backend.ErrNotFound, "writer's own read after delete") {
				return
			}
		}
	})
	for r := range readers {
		wg.Go(func() {
			seen := make([]int64, keys)
			for i := 0; !stop.Load(); i++ {
				k := (i + r) % keys
				floor := committed.Load()
				n := readCount(t, b, key(k), decoded)
				if !assert.GreaterOrEqual(t, n, floor, "reader %d: key %d older than a confirmed commit", r, k) ||
					!assert.GreaterOrEqual(t, n, seen[k], "reader %d: key %d went back", r, k) {
					return
				}
				seen[k] = n
				floor = committed.Load()
				if v, err := b.Get(ctx, flip, nil); err == nil {
					n, _ := strconv.ParseInt(string(v), 10, 64)
					if !assert.GreaterOrEqual(t, n, floor, "reader %d: flip older than a confirmed commit", r) {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	st := b.CacheStats()
	t.Logf("hits %d, misses %d, invalidations %d, evictions %d", st.Hits, st.Misses, st.Invalidations, st.Evictions)
	assert.Positive(t, st.Hits, "the readers never hit: the test exercised nothing")
	for i := range keys {
		assert.Equal(t, int64(writes), readCount(t, b, key(i), decoded))
	}
}

// countDecoder parses the counts of TestCoherence for GetDecoded.
var countDecoder = &backend.Decoder{Decode: func(v []byte) (any, error) { return strconv.ParseInt(string(v), 10, 64) }}

// readCount reads a count written by TestCoherence, with Get or with
// GetDecoded; a missing key reads 0.
func readCount(t *testing.T, b *cache.Backend, key []byte, decoded bool) int64 {
	if decoded {
		n, err := b.GetDecoded(t.Context(), key, countDecoder)
		if errors.Is(err, backend.ErrNotFound) {
			return 0
		}
		if !assert.NoError(t, err) {
			return -1
		}
		return n.(int64)
	}
	v, err := b.Get(t.Context(), key, nil)
	if errors.Is(err, backend.ErrNotFound) {
		return 0
	}
	if !assert.NoError(t, err) {
		return -1
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	assert.NoError(t, err)
	return n
}
