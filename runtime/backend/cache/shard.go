package cache

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/synapsed/storegen/runtime/backend"
)

// entryOverhead approximates what one cached entry costs beyond its key
// and value bytes: the policy's map slot and list element, the entry's
// slice and string headers, and allocation slack. It counts toward MaxBytes.
const entryOverhead = 96

func entrySize(keyLen int, e entry) int64 {
	n := keyLen + len(e.value) + entryOverhead
	if e.by != nil {
		// A guess: a decoded record holds about as many bytes as its
		// stored form, in its own allocations.
		n += len(e.value) + entryOverhead
	}
	return int64(n)
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
//     from the shard before committing; while pending > 0 no miss inserts
//     anything, so no read that raced with the commit can put an old value
//     back.
//   - epoch is incremented when such an Update finishes, commit or not. A
//     miss notes the epoch before it reads the inner engine and inserts only
//     if the epoch is unchanged, so a read that began before a commit and
//     ended after it is not inserted either.
//
// Together: a miss inserts only if no commit to this shard overlapped the
// inner read, so the value read is the latest committed one, and any later
// commit removes it (under mu) before it becomes visible.
//
// Write-through: when the inner Update has returned without error, its
// commit is over and what it wrote is the latest committed state, unless
// another Update writing to the shard committed in the same window, in an
// order the cache cannot see. So end puts the written values back (see
// writeThrough) only if no other Update was pending here at any time since
// pending was last 0 (shared is false), and does so under mu before the
// epoch moves, so that no reader sees the keys absent and then an older
// value.
type shard struct {
	mu      sync.Mutex
	p       policy
	bytes   int64
	epoch   uint64
	pending int
	shared  bool // two Updates have been pending at once since pending was 0

	// Limits for this shard; math.MaxInt when unbounded.
	maxEntries int
	maxBytes   int64

	// Counters are atomics so that CacheStats reads them without locking.
	hits, misses, evictions, invalidations, writes atomic.Uint64
	entries, size                                  atomic.Int64

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

// holds reports whether key has an entry, without recording a use.
func (s *shard) holds(key []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.contains(lookupKey(key))
}

// fill inserts what a miss read from the inner engine, unless a commit to
// this shard overlapped that read (see shard) or the entry cannot fit.
func (s *shard) fill(key []byte, e entry, epoch uint64) {
	if entrySize(len(key), e) > s.maxBytes {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending > 0 || s.epoch != epoch || s.p.contains(lookupKey(key)) {
		// Stale, or a concurrent miss already filled it.
		return
	}
	s.add(key, e)
	s.shrink()
	s.publish()
}

// remember attaches what d decoded from e's value to the entry of key, if
// the entry is still e: a write or another decoder may have replaced it
// since lookup.
func (s *shard) remember(key []byte, e entry, d *backend.Decoder, decoded any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := lookupKey(key)
	cur, ok := s.p.peek(k)
	if !ok || cur.by != e.by || unsafe.SliceData(cur.value) != unsafe.SliceData(e.value) {
		return
	}
	e.by, e.decoded = d, decoded
	s.bytes += entrySize(len(key), e) - entrySize(len(key), cur)
	s.p.replace(k, e)
	s.shrink()
	s.publish()
}

// begin registers an Update that is about to commit t's writes to this
// shard (index i), unless it was registered already (an engine may run fn
// again), and removes the keys written, marking the writes whose key had
// an entry.
func (s *shard) begin(t *txn, i int, registered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !registered {
		if s.pending > 0 {
			s.shared = true
		}
		s.pending++
	}
	for j := range t.writes {
		w := &t.writes[j]
		if w.shard != i {
			continue
		}
		k := t.key(j)
		if old, ok := s.p.remove(lookupKey(k)); ok {
			s.bytes -= entrySize(len(k), old)
			s.invalidations.Add(1)
			w.dropped = true
		}
	}
	s.publish()
}

// end unregisters an Update registered by begin, once its commit has
// succeeded or failed. If it committed, t holds its writes (of the last
// run of fn) and they go into the shard (index i) as the shard's comment
// allows.
func (s *shard) end(t *txn, i int, committed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if committed && !s.shared {
		for j := range t.writes {
			if t.writes[j].shard == i {
				s.writeThrough(t.key(j), &t.writes[j])
			}
		}
		s.shrink()
		s.publish()
	}
	s.pending--
	if s.pending == 0 {
		s.shared = false
	}
	s.epoch++
}

// writeThrough puts a committed write's entry back in place of the one
// begin removed. Writes are applied in the order the Update made them, so
// the last write of a key wins: a later write finds the entry an earlier
// one put back and replaces it, or removes it if the later write's value
// was not kept. A key that had no entry when the Update began stays out,
// so that bulk writes do not flush the cache. mu must be held.
func (s *shard) writeThrough(key []byte, w *write) {
	k := lookupKey(key)
	if !w.dropped && !s.p.contains(k) {
		return
	}
	old, replaced := s.p.remove(k) // put back by an earlier write of key
	if replaced {
		s.bytes -= entrySize(len(key), old)
	}
	if !w.kept || entrySize(len(key), w.e) > s.maxBytes {
		return
	}
	s.add(key, w.e)
	if !replaced {
		s.writes.Add(1)
	}
}

// add inserts an entry for a key that has none; mu must be held.
func (s *shard) add(key []byte, e entry) {
	s.p.add(string(key), e)
	s.bytes += entrySize(len(key), e)
}

// shrink evicts until the shard is within its bounds; mu must be held.
func (s *shard) shrink() {
	for s.p.len() > s.maxEntries || s.bytes > s.maxBytes {
		k, old, ok := s.p.evict()
		if !ok {
			break
		}
		s.bytes -= entrySize(len(k), old)
		s.evictions.Add(1)
	}
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
