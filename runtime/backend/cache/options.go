package cache

import (
	"math/bits"
	"strconv"
)

// Eviction names the rule a full cache uses to choose what to drop.
type Eviction uint8

const (
	// LRU drops the entry read least recently (golang-lru/v2's simplelru).
	// It suits workloads whose hot set drifts over time.
	LRU Eviction = iota
	// LFU drops the entry read least often, the least recently read among
	// equals. It keeps a stable hot set through scans that would flush an
	// LRU, but an entry that was popular once stays until others overtake
	// its count.
	LFU
)

// String returns "LRU" or "LFU".
func (e Eviction) String() string {
	switch e {
	case LRU:
		return "LRU"
	case LFU:
		return "LFU"
	}
	return "Eviction(" + strconv.Itoa(int(e)) + ")"
}

// DefaultMaxBytes is the byte budget of a cache given neither MaxEntries
// nor MaxBytes.
const DefaultMaxBytes = 32 << 20

// defaultShards is how many independently locked parts a cache has unless
// Shards says otherwise, so that concurrent readers rarely wait for each
// other. Small caches get fewer; see config.shardCount.
const defaultShards = 16

// minShardEntries is the fewest entries a shard should hold when the
// shard count is chosen automatically: below it, splitting the budget makes
// eviction visibly less accurate than one shard would be.
const minShardEntries = 64

// Option configures New.
type Option func(*config)

type config struct {
	eviction     Eviction
	maxEntries   int
	maxBytes     int64
	shards       int
	cacheMissing bool
	onAccess     func(hit bool)
}

// Policy sets the eviction rule; the default, and the rule for values
// other than LRU and LFU, is LRU.
func Policy(e Eviction) Option {
	return func(c *config) { c.eviction = e }
}

// MaxEntries bounds the number of cached keys. With MaxBytes as well, both
// bounds hold. Values of n below 1 mean no bound on entries.
func MaxEntries(n int) Option {
	return func(c *config) { c.maxEntries = n }
}

// MaxBytes bounds the memory the cached keys and values take, counting
// each entry's bookkeeping (about 100 bytes) too. A value too large for its
// shard's part of the budget is never cached. Values of n below 1 mean no
// bound on bytes.
func MaxBytes(n int64) Option {
	return func(c *config) { c.maxBytes = n }
}

// Shards sets how many independently locked parts the cache has, rounded
// up to a power of two between 1 and 64. Each part enforces an equal share
// of MaxEntries and MaxBytes (rounded down, at least one entry), so a cache
// may evict a little before its total is reached when keys spread unevenly. The default is 16, fewer when
// MaxEntries is small.
func Shards(n int) Option {
	return func(c *config) { c.shards = n }
}

// CacheMissing makes the cache remember keys that were not found, so that
// repeated lookups of absent keys skip the inner engine too. A committed
// Delete of a cached key leaves it cached as absent.
func CacheMissing() Option {
	return func(c *config) { c.cacheMissing = true }
}

// OnAccess registers fn to be called on every Backend.Get with whether the
// cache answered it. fn runs on the caller's goroutine with no lock held;
// it must be cheap, since it is on the read path.
func OnAccess(fn func(hit bool)) Option {
	return func(c *config) { c.onAccess = fn }
}

// shardCount returns the number of shards, a power of two in [1, 64]: 64
// because a transaction records the shards it touched in a uint64.
func (c *config) shardCount() int {
	n := c.shards
	if n <= 0 {
		n = defaultShards
		for n > 1 && c.maxEntries > 0 && c.maxEntries/n < minShardEntries {
			n /= 2
		}
	}
	n = min(max(n, 1), 64)
	return 1 << bits.Len(uint(n-1))
}
