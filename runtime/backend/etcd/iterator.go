package etcd

import (
	"bytes"
	"fmt"
	"slices"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/synapsed/storegen/runtime/backend"
)

// Paging: an iterator reads its range in pages of at most maxPage keys.
// The first page is small, since nothing is known of the values yet; later
// ones are sized from the entries seen so far to carry about pageBytes, so a
// range of large values never makes one huge response.
const (
	firstPage = 64
	maxPage   = 10_000
	pageBytes = 4 << 20
)

// source is what an iterator reads through: a view or a transaction.
type source interface {
	// valid reports why the source can no longer be read, if it cannot.
	valid() error
	// read gets up to limit entries of the etcd range [start, end) at the
	// source's revision, with opts applied.
	read(start, end string, limit int64, opts ...clientv3.OpOption) (*clientv3.GetResponse, error)
}

// iterator walks a range of user keys, merging pages read from etcd with
// a transaction's buffered writes (the overlay), which take precedence.
// It is used by one goroutine at a time.
type iterator struct {
	src       source
	prefixLen int
	reverse   bool
	// start and end bound what is still to be read from etcd, as etcd keys;
	// an empty end means the end of the keyspace.
	start, end string
	limit      int64
	page       []*mvccpb.KeyValue // in iteration order
	pos        int
	exhausted  bool // nothing left to read from etcd after page
	overlay    []write
	opos       int

	key, value []byte
	err        error
	done       bool
}

// newIterator returns an iterator over the user keys lo <= k < hi of src.
// overlay holds the transaction's writes within the range, in iteration
// order.
func newIterator(src source, b *Backend, lo, hi []byte, reverse bool, overlay []write) *iterator {
	it := &iterator{
		src:       src,
		prefixLen: len(b.prefix),
		reverse:   reverse,
		start:     b.dataStart(),
		end:       b.end,
		limit:     firstPage,
		overlay:   overlay,
	}
	if len(lo) > 0 {
		it.start = b.prefix + string(lo)
	}
	if it.end == "\x00" {
		it.end = ""
	}
	if hi != nil {
		it.end = b.prefix + string(hi)
	}
	it.exhausted = it.end != "" && it.start >= it.end
	return it
}

// Next implements backend.Iterator.
func (it *iterator) Next() bool {
	if it.done {
		return false
	}
	if err := it.src.valid(); err != nil {
		return it.stop(err)
	}
	for {
		kv, err := it.peek()
		if err != nil {
			return it.stop(err)
		}
		var w *write
		if it.opos < len(it.overlay) {
			w = &it.overlay[it.opos]
		}
		switch {
		case kv == nil && w == nil:
			return it.stop(nil)
		case w == nil:
			it.pos++
			it.key, it.value = kv.Key[it.prefixLen:], kv.Value
			return true
		}
		if kv != nil {
			c := bytes.Compare(w.key, kv.Key[it.prefixLen:])
			if it.reverse {
				c = -c
			}
			if c > 0 {
				it.pos++
				it.key, it.value = kv.Key[it.prefixLen:], kv.Value
				return true
			}
			if c == 0 { // the write replaces the stored value
				it.pos++
			}
		}
		it.opos++
		if !w.deleted {
			it.key, it.value = w.key, w.value
			return true
		}
	}
}

// peek returns the next entry read from etcd, reading a page if needed,
// or nil at the end of the range.
func (it *iterator) peek() (*mvccpb.KeyValue, error) {
	for it.pos >= len(it.page) {
		if it.exhausted {
			return nil, nil
		}
		if err := it.fill(); err != nil {
			return nil, fmt.Errorf("etcd: range: %w", err)
		}
	}
	return it.page[it.pos], nil
}

// fill reads the next page. A forward page is one request. etcd applies a
// limit only to ascending reads, so a reverse page is two: the keys of the
// page, sorted descending by the server from its in-memory index, then
// their values, read ascending.
func (it *iterator) fill() error {
	it.page, it.pos = nil, 0
	end := it.end
	if end == "" {
		end = "\x00"
	}
	if !it.reverse {
		resp, err := it.src.read(it.start, end, it.limit)
		if err != nil {
			return err
		}
		it.page, it.exhausted = resp.Kvs, !resp.More
		if n := len(it.page); n > 0 {
			it.start = string(it.page[n-1].Key) + "\x00"
		}
		it.resize()
		return nil
	}
	keys, err := it.src.read(it.start, end, it.limit,
		clientv3.WithKeysOnly(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	if err != nil {
		return err
	}
	n := len(keys.Kvs)
	it.exhausted = !keys.More
	if n == 0 {
		return nil
	}
	low, high := keys.Kvs[n-1].Key, keys.Kvs[0].Key
	resp, err := it.src.read(string(low), string(high)+"\x00", int64(n))
	if err != nil {
		return err
	}
	if len(resp.Kvs) != n {
		// Both reads are at one revision, so this is the server's fault.
		return fmt.Errorf("%w: %d keys listed but %d read at the same revision", backend.ErrCorrupt, n, len(resp.Kvs))
	}
	slices.Reverse(resp.Kvs)
	it.page, it.end = resp.Kvs, string(low)
	it.resize()
	return nil
}

// resize sets the next page's limit from the size of the page just read.
func (it *iterator) resize() {
	if len(it.page) == 0 {
		return
	}
	size := 0
	for _, kv := range it.page {
		size += len(kv.Key) + len(kv.Value)
	}
	avg := max(size/len(it.page), 1)
	it.limit = int64(min(max(pageBytes/avg, 1), maxPage))
}

// stop ends the iteration for good, with err or at the end of the range.
func (it *iterator) stop(err error) bool {
	it.done, it.err = true, err
	it.key, it.value, it.page, it.overlay = nil, nil, nil, nil
	return false
}

// Key implements backend.Iterator.
func (it *iterator) Key() []byte { return it.key }

// Value implements backend.Iterator.
func (it *iterator) Value() []byte { return it.value }

// Err implements backend.Iterator.
func (it *iterator) Err() error { return it.err }

// Close implements backend.Iterator.
func (it *iterator) Close() error {
	if !it.done {
		it.stop(nil)
	}
	return it.err
}
