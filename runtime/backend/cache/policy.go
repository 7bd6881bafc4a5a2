package cache

import (
	"math"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/synapsed/storegen/runtime/backend"
)

// entry is what the cache knows of one key: its value, or that it is
// absent, and what the Decoder by made of the value (see GetDecoded). The
// value is the cache's own copy and is never modified, so a reader may copy
// from it after releasing the shard's lock; decoded is never modified
// either, only replaced with the whole entry.
type entry struct {
	value   []byte
	found   bool
	by      *backend.Decoder // nil until a GetDecoded decodes the value
	decoded any
}

// policy holds a shard's entries in eviction order. It never evicts on its
// own: the shard enforces its bounds by calling evict, so that evictions and
// invalidations are counted apart. A policy is not safe for concurrent use;
// its shard's mutex guards it.
//
// Lookups (get, contains, peek, replace, remove) may be given a key that
// aliases a caller's buffer; a policy must not keep it. Only add keeps its
// key.
type policy interface {
	// get returns the entry of key and records a use of it.
	get(key string) (entry, bool)
	// contains reports whether key has an entry, recording nothing.
	contains(key string) bool
	// peek returns the entry of key, recording nothing.
	peek(key string) (entry, bool)
	// add inserts an entry for a key that has none.
	add(key string, e entry)
	// replace sets the entry of a key that has one, keeping the key it
	// has. It may record a use.
	replace(key string, e entry)
	// remove drops the entry of key, if any, and returns it.
	remove(key string) (entry, bool)
	// evict drops the entry the policy values least and returns its key.
	evict() (string, entry, bool)
	// len returns the number of entries.
	len() int
}

func newPolicy(e Eviction) policy {
	if e == LFU {
		return newLFU()
	}
	// The shard bounds the size itself, so the list is given no bound of
	// its own; NewLRU fails only for a size below 1.
	l, err := simplelru.NewLRU[string, entry](math.MaxInt, nil)
	if err != nil {
		panic(err)
	}
	return lru{l}
}

// lru adapts golang-lru's simplelru, which moves an entry to the front on
// every get and evicts from the back.
type lru struct{ l *simplelru.LRU[string, entry] }

func (p lru) get(key string) (entry, bool)  { return p.l.Get(key) }
func (p lru) contains(key string) bool      { return p.l.Contains(key) }
func (p lru) peek(key string) (entry, bool) { return p.l.Peek(key) }
func (p lru) add(key string, e entry)       { p.l.Add(key, e) }
func (p lru) replace(key string, e entry)   { p.l.Add(key, e) }
func (p lru) len() int                      { return p.l.Len() }

func (p lru) remove(key string) (entry, bool) {
	e, ok := p.l.Peek(key)
	if ok {
		p.l.Remove(key)
	}
	return e, ok
}

func (p lru) evict() (string, entry, bool) { return p.l.RemoveOldest() }
