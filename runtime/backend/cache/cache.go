// Package cache is a read cache in front of any backend.Backend: it keeps
// recently or frequently read values of the latest committed state in
// memory, evicting by LRU or LFU within a bound on entries and bytes, and is
// itself a backend.Backend. It owns only Backend.Get; views and
// transactions read through to the inner engine, since a view is a snapshot
// the cache cannot share.
//
// Writes must go through the cache, never to the inner engine directly:
// the cache learns of changes only from its own Update, which writes the
// committed values of cached keys through to the cache. Over a compress
// layer, put the cache on top, so that a hit also skips decompression.
package cache

import (
	"context"
	"errors"
	"hash/maphash"
	"math"
	"math/bits"
	"sync"

	"github.com/synapsed/storegen/runtime/backend"
)

// Backend is a backend.Backend that answers Get from memory when it can.
// It never answers with a value older than the last committed write: an
// Update removes the keys it wrote before it commits, blocks their
// re-insertion by reads until the commit is over, and then puts back the
// values it committed (see shard for the argument). A rolled-back Update
// leaves the cache as it was.
//
// All methods are safe for concurrent use. Close closes the inner engine.
type Backend struct {
	inner    backend.Backend
	gate     backend.Gate
	shards   []shard
	mask     uint64 // len(shards)-1
	seed     maphash.Seed
	missing  bool
	onAccess func(hit bool)
	updates  sync.Pool // *update
}

// New returns a cache in front of inner, which it takes over: closing the
// cache closes inner. Without MaxEntries or MaxBytes, the cache holds up
// to DefaultMaxBytes.
func New(inner backend.Backend, opts ...Option) *Backend {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.maxEntries <= 0 && c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxBytes
	}
	n := c.shardCount()
	perEntries, perBytes := math.MaxInt, int64(math.MaxInt64)
	// Each shard gets an equal share, rounded down, so the totals hold.
	if c.maxEntries > 0 {
		perEntries = max(c.maxEntries/n, 1)
	}
	if c.maxBytes > 0 {
		perBytes = max(c.maxBytes/int64(n), 1)
	}
	b := &Backend{
		inner:    inner,
		shards:   make([]shard, n),
		mask:     uint64(n - 1),
		seed:     maphash.MakeSeed(),
		missing:  c.cacheMissing,
		onAccess: c.onAccess,
	}
	b.updates.New = b.newUpdate
	for i := range b.shards {
		s := &b.shards[i]
		s.p = newPolicy(c.eviction)
		s.maxEntries, s.maxBytes = perEntries, perBytes
	}
	return b
}

func (b *Backend) shardIndex(key []byte) int {
	if b.mask == 0 {
		return 0
	}
	return int(maphash.Bytes(b.seed, key) & b.mask)
}

// Get appends the latest committed value of key to buf. A hit copies the
// cached value into buf and allocates only if buf lacks the capacity; a miss
// reads the inner engine and caches a copy of what it found (and, with
// CacheMissing, that the key is absent).
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	s, e, hit, epoch, err := b.lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	if hit {
		buf = append(buf, e.value...)
		if buf == nil {
			buf = []byte{} // present but empty
		}
		return buf, nil
	}
	v, err := b.inner.Get(ctx, key, buf)
	switch {
	case err == nil:
		// The cache's own copy: v belongs to the caller.
		s.fill(key, entry{value: append([]byte{}, v[len(buf):]...), found: true}, epoch)
	case b.missing && errors.Is(err, backend.ErrNotFound):
		s.fill(key, entry{}, epoch)
	}
	return v, err
}

// GetDecoded implements backend.DecodedGetter: a hit whose entry holds a
// result of d returns it, and any other read keeps d's result with the
// entry it caches, so that a value is decoded once while it stays cached.
// Decoded records count toward MaxBytes as about the size of their value.
func (b *Backend) GetDecoded(ctx context.Context, key []byte, d *backend.Decoder) (any, error) {
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	s, e, hit, epoch, err := b.lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	if hit {
		if e.by == d {
			return e.decoded, nil
		}
		v, err := d.Decode(e.value)
		if err != nil {
			return nil, err
		}
		s.remember(key, e, d, v)
		return v, nil
	}
	val, err := b.inner.Get(ctx, key, nil)
	switch {
	case err == nil:
		// val is a fresh slice, the cache's own.
		e := entry{value: val, found: true}
		if e.value == nil {
			e.value = []byte{}
		}
		// The value is cached even if it does not decode, as Get would.
		v, err := d.Decode(e.value)
		if err == nil {
			e.by, e.decoded = d, v
		}
		s.fill(key, e, epoch)
		if err != nil {
			return nil, err
		}
		return v, nil
	case b.missing && errors.Is(err, backend.ErrNotFound):
		s.fill(key, entry{}, epoch)
	}
	return nil, err
}

// lookup finds key's shard and entry for Get and GetDecoded, which hold
// the gate, and counts the access; epoch is what a miss presents to fill.
// A hit on an entry that records the key's absence is ErrNotFound.
func (b *Backend) lookup(ctx context.Context, key []byte) (s *shard, e entry, hit bool, epoch uint64, err error) {
	if err := ctx.Err(); err != nil {
		return nil, entry{}, false, 0, err
	}
	s = &b.shards[b.shardIndex(key)]
	e, hit, epoch = s.lookup(key)
	if b.onAccess != nil {
		b.onAccess(hit)
	}
	if hit && !e.found {
		return s, e, hit, epoch, backend.ErrNotFound
	}
	return s, e, hit, epoch, nil
}

// View opens a snapshot of the inner engine; the cache plays no part in it.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	return b.inner.View(ctx)
}

// Update runs fn in a transaction of the inner engine. Its reads go to the
// inner transaction. When fn returns nil, the keys it wrote are removed
// from the cache and kept out of it until the inner Update returns. If the
// commit succeeded, the keys that had an entry get the values fn wrote
// (see shard for when the cache must forgo that); if it failed, they stay
// out. When fn fails or panics, the cache is untouched.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	u := b.updates.Get().(*update)
	u.fn = fn
	committed := false // stays false if the inner Update panics
	defer func() {
		b.end(u.registered, u.last, committed)
		b.release(u)
	}()
	err := b.inner.Update(ctx, u.run)
	committed = err == nil
	return err
}

// update is the state of one Update. It is pooled with the buffers its
// txns record writes in, so that a write through the cache allocates
// little beyond the copy of the value the cache keeps. The txn handed to
// fn is not pooled: one kept past its Update must report ErrTxDone, and it
// does, since its inner transaction fails every call before the txn
// records anything.
type update struct {
	fn         func(backend.Txn) error
	last       *txn   // the run of fn that may commit
	registered uint64 // shards this Update holds pending
	keys       []byte // buffers for the next run's txn
	writes     []write
	used       int // the most writes a run recorded in writes
	run        func(backend.Txn) error
}

func (b *Backend) newUpdate() any {
	u := &update{}
	// A func value that refers to u allocates when made, so it is made
	// once per pooled update.
	u.run = func(inner backend.Txn) error {
		// An engine may run fn again; only the last run may commit.
		t := &txn{Txn: inner, b: b, keys: u.keys[:0], writes: u.writes[:0]}
		defer func() {
			// Even if fn panics, so that release clears what it recorded.
			u.keys, u.writes = t.keys, t.writes // grown, perhaps
			u.used = max(u.used, len(t.writes))
		}()
		err := u.fn(t)
		if err != nil {
			return err
		}
		u.registered |= b.begin(t, u.registered)
		u.last = t
		return nil
	}
	return u
}

// pooledKeyBytes bounds the key buffer an update keeps in the pool, so
// that one bulk write does not pin a large buffer.
const pooledKeyBytes = 64 << 10

// release returns u to the pool without the values and transactions it
// refers to.
func (b *Backend) release(u *update) {
	clear(u.writes[:u.used])
	u.fn, u.last, u.registered, u.used = nil, nil, 0, 0
	u.keys, u.writes = u.keys[:0], u.writes[:0]
	if cap(u.keys) <= pooledKeyBytes {
		b.updates.Put(u)
	}
}

// begin removes the keys t wrote from their shards and registers the
// Update with each shard it had not registered with yet. It returns the
// shards touched.
func (b *Backend) begin(t *txn, registered uint64) uint64 {
	var touched uint64
	for _, w := range t.writes {
		touched |= 1 << w.shard
	}
	for m := touched; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		b.shards[i].begin(t, i, registered&(1<<i) != 0)
	}
	return touched
}

// end releases the shards begin registered, after the inner Update
// returned, writing t's values through if it committed.
func (b *Backend) end(registered uint64, t *txn, committed bool) {
	for m := registered; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		b.shards[i].end(t, i, committed)
	}
}

// TxnLimits implements backend.TxnLimiter with the inner engine's limits,
// none (0, 0) when it states none, so that bulk writers such as Restore
// keep to them through the layer.
func (b *Backend) TxnLimits() (keys, bytes int) { return backend.TxnLimitsOf(b.inner) }

// Flush flushes the inner engine.
func (b *Backend) Flush(ctx context.Context) error {
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	return b.inner.Flush(ctx)
}

// Stats reports the inner engine's statistics with the cache's memory added
// to MemoryBytes and its counters added to Figures as "cache_hits",
// "cache_misses", "cache_evictions", "cache_invalidations",
// "cache_writes", "cache_entries" and "cache_bytes".
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) {
	if err := b.gate.Enter(); err != nil {
		return backend.Stats{}, err
	}
	defer b.gate.Exit()
	st, err := b.inner.Stats(ctx)
	if err != nil {
		return st, err
	}
	cs := b.CacheStats()
	figures := make(map[string]int64, len(st.Figures)+7)
	for k, v := range st.Figures {
		figures[k] = v
	}
	figures["cache_hits"] = int64(cs.Hits)
	figures["cache_misses"] = int64(cs.Misses)
	figures["cache_evictions"] = int64(cs.Evictions)
	figures["cache_invalidations"] = int64(cs.Invalidations)
	figures["cache_writes"] = int64(cs.Writes)
	figures["cache_entries"] = cs.Entries
	figures["cache_bytes"] = cs.Bytes
	st.Figures = figures
	st.MemoryBytes += cs.Bytes
	return st, nil
}

// Path returns the inner engine's path, if it has one.
func (b *Backend) Path() string {
	if p, ok := b.inner.(backend.Pather); ok {
		return p.Path()
	}
	return ""
}

// Close waits for running calls, closes the inner engine and drops the
// cached values.
func (b *Backend) Close() error {
	if err := b.gate.Close(); err != nil {
		return err
	}
	err := b.inner.Close()
	for i := range b.shards {
		b.shards[i].purge()
	}
	return err
}

// Stats counts what the cache did since New.
type Stats struct {
	// Hits and Misses count Backend.Get calls the cache answered and those
	// it passed to the inner engine.
	Hits, Misses uint64
	// Evictions counts entries dropped to stay within the bounds.
	Evictions uint64
	// Invalidations counts entries dropped because an Update wrote their
	// key, and Writes those of them that its commit put back with the value
	// it wrote.
	Invalidations, Writes uint64
	// Entries and Bytes are the cache's current size; Bytes includes each
	// entry's bookkeeping estimate.
	Entries, Bytes int64
}

// HitRate returns Hits / (Hits + Misses), or 0 before the first Get.
func (s Stats) HitRate() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// CacheStats returns the cache's counters. It takes no locks; the fields
// are each exact but may be read a moment apart.
func (b *Backend) CacheStats() Stats {
	var st Stats
	for i := range b.shards {
		s := &b.shards[i]
		st.Hits += s.hits.Load()
		st.Misses += s.misses.Load()
		st.Evictions += s.evictions.Load()
		st.Invalidations += s.invalidations.Load()
		st.Writes += s.writes.Load()
		st.Entries += s.entries.Load()
		st.Bytes += s.size.Load()
	}
	return st
}
