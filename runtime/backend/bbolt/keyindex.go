package bbolt

import (
	"bytes"
	"hash/maphash"
)

// keyIndex finds a pending write by its key: a hash table with open
// addressing whose slots hold a write's position in the writes slice,
// plus one (0 is an empty slot), in their low half, and the high half of
// its key's hash in their high half, so that a probe reads a key from
// writes only when the hashes agree. It keeps no keys of its own, so an
// insert allocates nothing until the table grows, and finding a slot for
// a new key and filling it hash the key once, where a map would hash it
// for the lookup and again for the assignment. At most half the slots are
// full, so probes are short.
type keyIndex struct {
	seed  maphash.Seed
	slots []uint64 // a power of two long, or empty
	n     int      // full slots
}

// probe is where find stopped: the slot for a key it did not find, and
// the key's hash.
type probe struct {
	slot int
	hash uint64
}

// find returns the position in writes of key's write, or -1 and the probe
// that insert takes.
func (x *keyIndex) find(key []byte, writes []write) (probe, int) {
	if len(x.slots) == 0 {
		return probe{slot: -1}, -1
	}
	h := x.hash(key)
	mask := uint64(len(x.slots) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		v := x.slots[s]
		if v == 0 {
			return probe{slot: int(s), hash: h}, -1
		}
		if w := int(uint32(v)) - 1; v>>32 == h>>32 && bytes.Equal(writes[w].key, key) {
			return probe{}, w
		}
	}
}

// insert records that writes[i], whose key find did not find, goes where
// find's probe p stopped.
func (x *keyIndex) insert(p probe, i int, writes []write) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow(writes[:i])
		p, _ = x.find(writes[i].key, writes)
	}
	x.slots[p.slot] = p.hash>>32<<32 | uint64(i+1)
	x.n++
}

// grow doubles the table (or makes its first) and places writes in it.
func (x *keyIndex) grow(writes []write) {
	if len(x.slots) == 0 {
		x.seed = maphash.MakeSeed()
	}
	x.slots = make([]uint64, max(64, 2*len(x.slots)))
	mask := uint64(len(x.slots) - 1)
	for i := range writes {
		h := x.hash(writes[i].key)
		s := h & mask
		for x.slots[s] != 0 {
			s = (s + 1) & mask
		}
		x.slots[s] = h>>32<<32 | uint64(i+1)
	}
}

func (x *keyIndex) hash(key []byte) uint64 { return maphash.Bytes(x.seed, key) }

// clear empties the table, keeping its size for the next transaction.
func (x *keyIndex) clear() {
	if x.n > 0 {
		clear(x.slots)
		x.n = 0
	}
}
