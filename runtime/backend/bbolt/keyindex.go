package bbolt

import (
	"bytes"
	"hash/maphash"
)

// keyIndex finds a pending write by its key: a hash table with open
// addressing whose slots hold a write's position in the writes slice,
// plus one (0 is an empty slot). It keeps no keys of its own, reading
// them from writes, so an insert allocates nothing until the table grows,
// and finding a slot for a new key and filling it hash the key once, where
// a map would hash it for the lookup and again for the assignment. At
// most half the slots are full, so probes are short.
type keyIndex struct {
	seed  maphash.Seed
	slots []int32 // a power of two long, or empty
	n     int     // full slots
}

// find returns the position in writes of key's write, or -1 and the slot
// where insert puts it.
func (x *keyIndex) find(key []byte, writes []write) (slot, i int) {
	if len(x.slots) == 0 {
		return -1, -1
	}
	mask := len(x.slots) - 1
	for s := x.hash(key) & mask; ; s = (s + 1) & mask {
		w := int(x.slots[s]) - 1
		if w < 0 {
			return s, -1
		}
		if bytes.Equal(writes[w].key, key) {
			return s, w
		}
	}
}

// insert records that writes[i], whose key find did not find, is at slot
// (as find returned it).
func (x *keyIndex) insert(slot, i int, writes []write) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow(writes[:i])
		slot, _ = x.find(writes[i].key, writes)
	}
	x.slots[slot] = int32(i + 1)
	x.n++
}

// grow doubles the table (or makes its first) and places writes in it.
func (x *keyIndex) grow(writes []write) {
	if len(x.slots) == 0 {
		x.seed = maphash.MakeSeed()
	}
	x.slots = make([]int32, max(64, 2*len(x.slots)))
	mask := len(x.slots) - 1
	for i := range writes {
		s := x.hash(writes[i].key) & mask
		for x.slots[s] != 0 {
			s = (s + 1) & mask
		}
		x.slots[s] = int32(i + 1)
	}
}

func (x *keyIndex) hash(key []byte) int { return int(maphash.Bytes(x.seed, key)) }

// clear empties the table, keeping its size for the next transaction.
func (x *keyIndex) clear() {
	if x.n > 0 {
		clear(x.slots)
		x.n = 0
	}
}
