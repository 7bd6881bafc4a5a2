package cache

// Why a policy of our own: golang-lru/v2 has LRU, 2Q and ARC, and 2Q and
// ARC weigh recency against frequency but are not LFU. otter/v2 is
// W-TinyLFU, an admission filter in front of segmented LRUs, with its own
// lock-free reads and buffered, asynchronous eviction; the cache's
// coherence rule needs "check the shard's epoch, then insert" to be one
// step under the shard's lock, and exact counters, which otter's design
// makes awkward, and it would add a dependency. An exact LFU is about 150
// lines under the shard lock the cache already holds.

// lfu is a least-frequently-used policy with O(1) get, add and evict, after
// Shah, Mitra and Matani, "An O(1) algorithm for implementing the LFU cache
// eviction scheme" (2010): a list of frequency nodes in ascending count,
// each holding its entries most recently used first. Eviction takes the
// least recently used entry of the lowest count.
//
// A get moves its entry to the node for count+1. Emptied nodes go to a free
// list and are reused, so once the cache has warmed up a hit allocates
// nothing.
type lfu struct {
	items map[string]*lfuItem
	head  *freqNode // lowest count
	free  *freqNode // recycled nodes, linked through next
}

// freqNode holds the entries used count times.
type freqNode struct {
	count       uint64
	prev, next  *freqNode
	first, last *lfuItem // most recently used first
}

type lfuItem struct {
	key        string
	e          entry
	node       *freqNode
	prev, next *lfuItem
}

func newLFU() *lfu { return &lfu{items: make(map[string]*lfuItem)} }

func (l *lfu) len() int { return len(l.items) }

func (l *lfu) contains(key string) bool {
	_, ok := l.items[key]
	return ok
}

func (l *lfu) get(key string) (entry, bool) {
	it, ok := l.items[key]
	if !ok {
		return entry{}, false
	}
	cur := l.unlink(it)
	next := cur.next
	if next == nil || next.count != cur.count+1 {
		if cur.first == nil {
			// it was cur's only entry: count it up in place.
			cur.count++
			l.push(it, cur)
			return it.e, true
		}
		next = l.node(cur.count+1, cur, cur.next)
	}
	l.push(it, next)
	l.dropIfEmpty(cur)
	return it.e, true
}

func (l *lfu) add(key string, e entry) {
	it := &lfuItem{key: key, e: e}
	n := l.head
	if n == nil || n.count != 1 {
		n = l.node(1, nil, l.head)
	}
	l.push(it, n)
	l.items[key] = it
}

func (l *lfu) peek(key string) (entry, bool) {
	if it, ok := l.items[key]; ok {
		return it.e, true
	}
	return entry{}, false
}

func (l *lfu) replace(key string, e entry) {
	if it, ok := l.items[key]; ok {
		it.e = e
	}
}

func (l *lfu) remove(key string) (entry, bool) {
	it, ok := l.items[key]
	if !ok {
		return entry{}, false
	}
	l.drop(it)
	return it.e, true
}

func (l *lfu) evict() (string, entry, bool) {
	if l.head == nil {
		return "", entry{}, false
	}
	it := l.head.last
	l.drop(it)
	return it.key, it.e, true
}

func (l *lfu) drop(it *lfuItem) {
	delete(l.items, it.key)
	l.dropIfEmpty(l.unlink(it))
}

// node returns a node for count linked between prev and next, reusing a
// free one when there is one.
func (l *lfu) node(count uint64, prev, next *freqNode) *freqNode {
	n := l.free
	if n != nil {
		l.free = n.next
		*n = freqNode{}
	} else {
		n = new(freqNode)
	}
	n.count, n.prev, n.next = count, prev, next
	if prev != nil {
		prev.next = n
	} else {
		l.head = n
	}
	if next != nil {
		next.prev = n
	}
	return n
}

// dropIfEmpty unlinks n if it holds no entries and puts it on the free list.
func (l *lfu) dropIfEmpty(n *freqNode) {
	if n.first != nil {
		return
	}
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	}
	*n = freqNode{next: l.free}
	l.free = n
}

// push makes it the most recently used entry of n.
func (l *lfu) push(it *lfuItem, n *freqNode) {
	it.node, it.prev, it.next = n, nil, n.first
	if n.first != nil {
		n.first.prev = it
	} else {
		n.last = it
	}
	n.first = it
}

// unlink takes it out of its node's list and returns the node, which may
// now be empty.
func (l *lfu) unlink(it *lfuItem) *freqNode {
	n := it.node
	if it.prev != nil {
		it.prev.next = it.next
	} else {
		n.first = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	} else {
		n.last = it.prev
	}
	it.node, it.prev, it.next = nil, nil, nil
	return n
}
