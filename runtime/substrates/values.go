package substrates

import "unsafe"

// entry is one emission held for delivery: the value, by copy, and the
// index of its channel in the conduit. The index, not a pointer, keeps
// chunks free of pointers when E is, so the garbage collector neither scans
// a backlog nor puts write barriers on filling and draining it.
type entry[E any] struct {
	v  E
	ch uint32
}

// chunk is a fixed-capacity run of entries.
type chunk[E any] struct {
	vals []entry[E]
	next *chunk[E]
}

// values is a FIFO of entries in linked chunks: a growing backlog never
// copies what it holds, and drained chunks are kept for reuse, up to about
// retainBytes, so a steady stream allocates nothing. It is not safe for
// concurrent use; each instance has one owner (see Conduit).
type values[E any] struct {
	head, tail *chunk[E]
	read       int // index of the next entry in head
	size       int // entries per chunk

	free    *chunk[E] // drained chunks, linked by next
	nfree   int
	maxFree int
}

const (
	// chunkBytes is the target size of a chunk: small enough to keep a
	// quiet conduit cheap, large enough that chunk turnover is rare.
	chunkBytes = 16 << 10
	// retainBytes bounds the drained chunks each queue keeps for reuse; a
	// burst beyond it is released to the garbage collector once drained.
	retainBytes = 256 << 10
)

func newValues[E any]() values[E] {
	esize := max(int(unsafe.Sizeof(entry[E]{})), 1)
	size := min(max(chunkBytes/esize, 16), 1024)
	return values[E]{size: size, maxFree: max(retainBytes/(size*esize), 1)}
}

func (q *values[E]) push(e entry[E]) {
	t := q.tail
	if t == nil || len(t.vals) == cap(t.vals) {
		t = q.fresh()
		if q.tail == nil {
			q.head = t
		} else {
			q.tail.next = t
		}
		q.tail = t
	}
	t.vals = append(t.vals, e)
}

// pop removes and returns the oldest entry; the queue must not be empty.
func (q *values[E]) pop() entry[E] {
	h := q.head
	e := h.vals[q.read]
	h.vals[q.read] = entry[E]{} // let go of what the value references
	if q.read++; q.read == len(h.vals) {
		q.read = 0
		if h == q.tail {
			h.vals = h.vals[:0] // the last chunk is reused in place
		} else {
			q.head = h.next
			q.release(h)
		}
	}
	return e
}

// fresh returns an empty chunk, reused if one is free.
func (q *values[E]) fresh() *chunk[E] {
	if c := q.free; c != nil {
		q.free, c.next = c.next, nil
		q.nfree--
		return c
	}
	return &chunk[E]{vals: make([]entry[E], 0, q.size)}
}

// release keeps a drained chunk (all its entries zeroed) for reuse.
func (q *values[E]) release(c *chunk[E]) {
	if q.nfree == q.maxFree {
		return
	}
	c.vals, c.next = c.vals[:0], q.free
	q.free = c
	q.nfree++
}

// takeAll moves every entry of from to q, which must be empty and drained,
// and gives from q's chunks to reuse.
func (q *values[E]) takeAll(from *values[E]) {
	if q.head != nil {
		from.release(q.head)
	}
	for c := q.free; c != nil; {
		next := c.next
		from.release(c)
		c = next
	}
	q.free, q.nfree = nil, 0
	q.head, q.tail, q.read = from.head, from.tail, 0
	from.head, from.tail = nil, nil
}
