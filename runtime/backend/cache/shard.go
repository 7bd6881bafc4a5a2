package cache

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// entryOverhead approximates what one cached entry costs beyond its key
// and value bytes: the policy's map slot and list element, the entry's
// slice and string headers, and allocation slack. It counts toward MaxBytes.
const entryOverhead = 96

func entrySize(keyLen int, e entry) int64 {
	return int64(keyLen + len(e.value) + entryOverhead)
}

// shard is one independently locked part of the cache.
//
// Coherence: the cache must never answer with a value older than the last
// committed write, yet a miss reads the inner engine without holding the
// lock, so a write may commit between that read and the insert that follows
// it. Two fields, guarded by mu, close that window:
//
//   - pending counts Updates that wrote a key of this shard and are
//     between the end of their fn and the return of the inner Update, that
//     is, whose commit may be happening. Such an Update removed its keys
//     from the shard before committing; while pending > 0 nothing is
//     inserted, so no read that raced with the commit can put an old value
//     back.
//   - epoch is incremented when such an Update finishes, commit or not. A
//     miss notes the epoch before it reads the inner engine and inserts only
//     if the epoch is unchanged, so a read that began before a commit and
//     ended after it is not inserted either.
//
// Together: an insert happens only if no commit to this shard overlapped
// the inner read, so the value read is the latest committed one, and any
// later commit removes it (under mu) before it becomes visible.
type shard struct {
	mu      sync.Mutex
	p       policy
	bytes   int64
	epoch   uint64
	pending int

	// Limits for this shard; math.MaxInt when unbounded.
	maxEntries int
	maxBytes   int64

	// Counters are atomics so that CacheStats reads them without locking.
	hits, misses, evictions, invalidations atomic.Uint64
	entries, size                          atomic.Int64

	// Keep neighbouring shards' locks and counters off this cache line.
	_ [64]byte
}

// lookup returns the entry of key, recording a use, and the epoch a miss
// must present to fill.
func (s *shard) lookup(key []byte) (e entry, ok bool, epoch uint64) {
	s.mu.Lock()
	e, ok = s.p.get(lookupKey(key))
	epoch = s.epoch
	s.mu.Unlock()
	if ok {
		s.hits.Add(1)
	} else {
		s.misses.Add(1)
	}
	return e, ok, epoch
}

// fill inserts what a miss read from the inner engine, unless a commit to
// this shard overlapped that read (see shard) or the entry cannot fit.
func (s *shard) fill(key []byte, e entry, epoch uint64) {
	size := entrySize(len(key), e)
	if size > s.maxBytes {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending > 0 || s.epoch != epoch || s.p.contains(lookupKey(key)) {
		// Stale, or a concurrent miss already filled it.
		return
	}
	s.p.add(string(key), e)
	s.bytes += size
	for s.p.len() > s.maxEntries || s.bytes > s.maxBytes {
		k, old, ok := s.p.evict()
		if !ok {
			break
		}
		s.bytes -= entrySize(len(k), old)
		s.evictions.Add(1)
	}
	s.publish()
}

// begin registers an Update that is about to commit writes to keys of this
// shard, unless it was registered already (an engine may run fn again),
// and removes those keys.
func (s *shard) begin(keys [][]byte, registered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !registered {
		s.pending++
	}
	for _, k := range keys {
		if old, ok := s.p.remove(lookupKey(k)); ok {
			s.bytes -= entrySize(len(k), old)
			s.invalidations.Add(1)
		}
	}
	s.publish()
}

// end unregisters an Update registered by begin, once its commit has
// succeeded or failed.
func (s *shard) end() {
	s.mu.Lock()
	s.pending--
	s.epoch++
	s.mu.Unlock()
}

// purge drops every entry.
func (s *shard) purge() {
	s.mu.Lock()
	for s.p.len() > 0 {
		s.p.evict()
	}
	s.bytes = 0
	s.publish()
	s.mu.Unlock()
}

// publish mirrors the size for CacheStats; mu must be held.
func (s *shard) publish() {
	s.entries.Store(int64(s.p.len()))
	s.size.Store(s.bytes)
}

// lookupKey views key as a string without copying it, so that a Get does
// not allocate. The policies only look such keys up and never keep them.
func lookupKey(key []byte) string {
	return unsafe.String(unsafe.SliceData(key), len(key))
}
