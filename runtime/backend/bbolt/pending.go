package bbolt

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// pending holds a transaction's Sets and Deletes until a read needs them in
// bbolt's tree (an iterator) or the transaction commits, and then applies
// them in key order. bbolt keeps a node's entries in one sorted slice and
// splits nodes only at commit, so a key put out of order moves every
// entry after it: a batch into a new file, whose records and index entries
// interleave, paid that move for every write. In key order each put lands
// after the last, and the tree holds only what was applied, so Gets search
// a smaller node too. Gets look here first. Only the writer uses it.
//
// A transaction takes its pending from pendingPool and returns it at its
// end, so that its table, slices and arena, sized by earlier transactions,
// serve the next one of any Backend, and are dropped when none comes.
type pending struct {
	at     keyIndex // key → its write in writes
	writes []write
	bytes  arena // keys and values, live until the transaction ends
	// runs partition writes into ascending runs of keys, kept so that each
	// run's last key is below the previous run's: a new key joins the
	// first run whose last key is below it (found by binary search), or
	// starts a run of its own. Writes that are several sorted streams
	// interleaved — a batch's records and each index's entries — form one
	// run per stream, and apply merges the runs instead of sorting.
	runs  [][]int
	lasts [][]byte // the last key of each run
	free  [][]int  // emptied runs, for reuse
	// merging and merged are order's scratch space.
	merging [][]int
	merged  [2][]int
	// scattered is set once the transaction deleted, or wrote a key that
	// did not come after every key the bucket held: its writes are not
	// all appends (see appendFillPercent).
	scattered bool
}

// appendFillPercent is how full the bucket's nodes are packed when they
// split at the commit of a transaction whose writes were all appends: a
// bulk load into an empty bucket, or keys that grow with time. bbolt's
// default, half full, leaves room for inserts between keys, which appends
// never make; packed to 90%, as etcd packs its append-only keys, a batch
// writes about 45% fewer pages, and updates that grow a value still find
// some room. Nodes that later take inserts split by bbolt's default.
const appendFillPercent = 0.9

// write is one pending Set of key to value, or a Delete of key when value
// is nil (a Set's copy of an empty value is never nil).
type write struct {
	key, value []byte
}

// set records a Set of key to value, copying both.
func (p *pending) set(key, value []byte) {
	p.add(key, p.bytes.copy(value))
}

// delete records a Delete of key.
func (p *pending) delete(key []byte) {
	p.scattered = true
	p.add(key, nil)
}

func (p *pending) add(key, value []byte) {
	at, i := p.at.find(key, p.writes)
	if i >= 0 {
		p.writes[i].value = value
		return
	}
	k := p.bytes.copy(key)
	i = len(p.writes)
	p.writes = append(p.writes, write{key: k, value: value})
	p.at.insert(at, i, p.writes)
	r, _ := slices.BinarySearchFunc(p.lasts, k, func(last, k []byte) int {
		return -bytes.Compare(last, k)
	})
	if r == len(p.runs) {
		p.runs, p.lasts = append(p.runs, p.newRun()), append(p.lasts, nil)
	}
	p.runs[r], p.lasts[r] = append(p.runs[r], i), k
}

func (p *pending) newRun() []int {
	if n := len(p.free); n > 0 {
		run := p.free[n-1]
		p.free = p.free[:n-1]
		return run
	}
	return nil
}

// get returns the pending value of key, nil for a Delete; found reports
// whether key has a pending write.
func (p *pending) get(key []byte) (value []byte, found bool) {
	if _, i := p.at.find(key, p.writes); i >= 0 {
		return p.writes[i].value, true
	}
	return nil, false
}

// apply writes the pending writes into bucket in key order and forgets
// them; their bytes stay until reset, since bbolt keeps the values it was
// given until the transaction ends.
func (p *pending) apply(bucket *bolt.Bucket) error {
	if len(p.writes) == 0 {
		return nil
	}
	order := p.order()
	if !p.scattered {
		// Without a delete in the transaction the tree has no empty leaf,
		// where Last could fail to find the last key.
		last, _ := bucket.Cursor().Last()
		p.scattered = last != nil && bytes.Compare(p.writes[order[0]].key, last) <= 0
	}
	for _, i := range order {
		w := &p.writes[i]
		var err error
		if w.value == nil {
			err = bucket.Delete(w.key)
		} else {
			err = bucket.Put(w.key, w.value)
		}
		if err != nil {
			p.forget()
			return fmt.Errorf("bbolt: apply the transaction's writes: %w", err)
		}
	}
	p.forget()
	return nil
}

// order returns the indexes of the writes in key order, merging the runs
// pairwise: about log2(runs) comparisons per write.
func (p *pending) order() []int {
	runs := append(p.merging[:0], p.runs...)
	src, dst := p.merged[0][:0], p.merged[1][:0]
	for len(runs) > 1 {
		dst = slices.Grow(dst[:0], len(p.writes))
		next := runs[:0] // run i/2 is written after runs i and i+1 are read
		for i := 0; i < len(runs); i += 2 {
			start := len(dst)
			if i+1 == len(runs) {
				dst = append(dst, runs[i]...)
			} else {
				dst = p.merge(dst, runs[i], runs[i+1])
			}
			next = append(next, dst[start:])
		}
		runs = next
		src, dst = dst, src
	}
	p.merging, p.merged = runs[:0], [2][]int{src, dst}
	if len(runs) == 0 {
		return nil
	}
	return runs[0]
}

// merge appends the union of the ascending runs a and b to dst, in key
// order.
func (p *pending) merge(dst, a, b []int) []int {
	for len(a) > 0 && len(b) > 0 {
		if bytes.Compare(p.writes[a[0]].key, p.writes[b[0]].key) < 0 {
			dst, a = append(dst, a[0]), a[1:]
		} else {
			dst, b = append(dst, b[0]), b[1:]
		}
	}
	return append(append(dst, a...), b...)
}

// forget drops the pending writes, keeping their bytes.
func (p *pending) forget() {
	p.at.clear()
	clear(p.writes)
	p.writes = p.writes[:0]
	for _, run := range p.runs {
		p.free = append(p.free, run[:0])
	}
	clear(p.runs)
	clear(p.lasts)
	p.runs, p.lasts = p.runs[:0], p.lasts[:0]
}

var pendingPool = sync.Pool{New: func() any { return new(pending) }}

// release drops the pending writes, frees their bytes for reuse and puts p
// back in the pool. Call it only after the transaction ended.
func (p *pending) release() {
	p.forget()
	p.bytes.reset()
	p.scattered = false
	pendingPool.Put(p)
}

// fillPercent returns how full the bucket's nodes should be packed when
// the transaction commits.
func (p *pending) fillPercent() float64 {
	if p.scattered {
		return bolt.DefaultFillPercent
	}
	return appendFillPercent
}
