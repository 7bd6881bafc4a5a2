package memory

import (
	"bytes"

	"github.com/google/btree"
)

// batchSize is how many entries an iterator copies out of the tree per
// descent. The tree's own iteration is callback-driven, so the iterator
// fetches in batches and resumes after the last key it returned.
const batchSize = 128

// source is what an iterator reads: a view's fixed snapshot or a
// transaction's changing clone. gen changes whenever the tree does; err
// reports that the view, transaction or engine has ended.
type source interface {
	source() (tree *btree.BTreeG[item], gen uint64, err error)
}

// iterator walks [lo, hi) of a source. It holds entries by value, and an
// entry's bytes are never modified, so Key and Value stay intact even after
// the source changes; a transaction's writes after a batch was fetched are
// seen because a new generation discards the batch and re-reads from the
// last key returned.
type iterator struct {
	src     source
	lo, hi  []byte
	reverse bool

	batch []item
	pos   int
	gen   uint64
	cur   item
	// started is set once the first batch was fetched; from then on the
	// next batch resumes after cur.key rather than at a bound.
	started bool
	// drained is set when the last batch reached the end of the range.
	drained bool
	// done is set once Next has returned false; Next never advances again.
	done bool
	err  error
}

func newIterator(src source, lo, hi []byte, reverse bool) *iterator {
	// The caller may reuse the bounds after Range returns.
	it := &iterator{src: src, reverse: reverse}
	if lo != nil {
		it.lo = bytes.Clone(lo)
	}
	if hi != nil {
		it.hi = bytes.Clone(hi)
		// An empty or inverted range: nothing to fetch, but Next still
		// reports an ended source.
		it.started = bytes.Compare(it.lo, hi) >= 0
		it.drained = it.started
	}
	return it
}

func (it *iterator) Next() bool {
	if it.done {
		return false
	}
	tree, gen, err := it.src.source()
	if err != nil {
		return it.stop(err)
	}
	it.pos++
	if it.pos >= len(it.batch) || gen != it.gen {
		// Once the range's end was fetched, only a write by the transaction
		// since then can add entries after cur (an empty range has no cur).
		if it.drained && (gen == it.gen || it.cur.key == nil) {
			return it.stop(nil)
		}
		it.fill(tree)
		it.gen = gen
		if len(it.batch) == 0 {
			return it.stop(nil)
		}
	}
	it.cur = it.batch[it.pos]
	return true
}

// stop ends the iteration for good, with err or at the end of the range.
func (it *iterator) stop(err error) bool {
	it.done, it.err, it.batch, it.cur = true, err, nil, item{}
	return false
}

// fill fetches the next batch after cur (or from the range's start) and
// notes whether the range ended within it.
func (it *iterator) fill(tree *btree.BTreeG[item]) {
	it.batch, it.pos = it.batch[:0], 0
	// After the first batch, resume at the last key returned and skip it.
	skip := it.started
	it.started = true
	var pivot []byte
	switch {
	case skip:
		pivot = it.cur.key
	case it.reverse:
		pivot = it.hi
		skip = it.hi != nil // hi is exclusive
	default:
		pivot = it.lo
	}
	full := false
	visit := func(e item) bool {
		if skip && bytes.Equal(e.key, pivot) {
			return true
		}
		if it.reverse {
			if it.lo != nil && bytes.Compare(e.key, it.lo) < 0 {
				return false
			}
		} else if it.hi != nil && bytes.Compare(e.key, it.hi) >= 0 {
			return false
		}
		if len(it.batch) == batchSize {
			full = true
			return false
		}
		it.batch = append(it.batch, e)
		return true
	}
	switch {
	case it.reverse && pivot == nil:
		tree.Descend(visit)
	case it.reverse:
		tree.DescendLessOrEqual(item{key: pivot}, visit)
	case pivot == nil:
		tree.Ascend(visit)
	default:
		tree.AscendGreaterOrEqual(item{key: pivot}, visit)
	}
	it.drained = !full
}

func (it *iterator) Key() []byte   { return it.cur.key }
func (it *iterator) Value() []byte { return it.cur.value }
func (it *iterator) Err() error    { return it.err }

func (it *iterator) Close() error {
	if !it.done {
		it.stop(nil)
	}
	return it.err
}
