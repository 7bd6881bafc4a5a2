package etcd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/synapsed/storegen/runtime/backend"
)

// maxKeyCompares is how many single-key reads a transaction may make and
// still be checked key by key at commit; beyond it the marker is compared
// instead. It stays well under etcd's default --max-txn-ops of 128, which
// also bounds the comparisons of one Txn.
const maxKeyCompares = 64

// write is a buffered Set or Delete. key and value share one allocation
// and are never modified, so iterators may hand them out.
type write struct {
	key, value []byte
	deleted    bool
}

// txn is a backend.Txn: one attempt of an Update. It is used by the
// goroutine running the Update function.
type txn struct {
	b   *Backend
	ctx context.Context
	// rev is the revision every read is served at, fixed by the first
	// read; 0 until then.
	rev int64
	// reads maps the keys read one by one to the modification revision
	// seen (0 for a missing key); ranged is set once a range was read.
	reads  map[string]int64
	ranged bool
	writes map[string]write
	// stale is set when a read met a compacted revision: the attempt must
	// be retried whatever fn returns.
	stale error
	done  bool
}

func newTxn(b *Backend, ctx context.Context) *txn {
	return &txn{b: b, ctx: ctx, reads: make(map[string]int64), writes: make(map[string]write)}
}

// Get implements backend.Reader. A key the transaction wrote is answered
// from its buffer; any other costs one read at the transaction's revision.
func (t *txn) Get(key, buf []byte) ([]byte, error) {
	if t.done {
		return nil, backend.ErrTxDone
	}
	if w, ok := t.writes[string(key)]; ok {
		if w.deleted {
			return nil, backend.ErrNotFound
		}
		return appendValue(buf, w.value), nil
	}
	if len(key) == 0 {
		return nil, backend.ErrNotFound // never stored, so nothing to check at commit
	}
	kv, rev, err := t.b.getKey(t.ctx, key, t.rev)
	if err != nil {
		t.failed(err)
		return nil, err
	}
	if t.rev == 0 {
		t.rev = rev
	}
	if _, seen := t.reads[string(key)]; !seen {
		var modRev int64
		if kv != nil {
			modRev = kv.ModRevision
		}
		t.reads[string(key)] = modRev
	}
	if kv == nil {
		return nil, backend.ErrNotFound
	}
	return appendValue(buf, kv.Value), nil
}

// Range implements backend.Reader. The iterator sees the transaction's
// writes made before Range was called, not later ones.
func (t *txn) Range(lo, hi []byte, reverse bool) backend.Iterator {
	var overlay []write
	if !t.done {
		for _, w := range t.writes {
			if bytes.Compare(w.key, lo) >= 0 && (hi == nil || bytes.Compare(w.key, hi) < 0) {
				overlay = append(overlay, w)
			}
		}
		slices.SortFunc(overlay, func(a, b write) int { return bytes.Compare(a.key, b.key) })
		if reverse {
			slices.Reverse(overlay)
		}
	}
	return newIterator(t, t.b, lo, hi, reverse, overlay)
}

// Set implements backend.Txn.
func (t *txn) Set(key, value []byte) error {
	switch {
	case t.done:
		return backend.ErrTxDone
	case len(key) == 0:
		return backend.ErrKeyEmpty
	}
	buf := make([]byte, len(key)+len(value))
	n := copy(buf, key)
	copy(buf[n:], value)
	t.writes[string(key)] = write{key: buf[:n:n], value: buf[n:]}
	return nil
}

// Delete implements backend.Txn.
func (t *txn) Delete(key []byte) error {
	switch {
	case t.done:
		return backend.ErrTxDone
	case len(key) == 0:
		return backend.ErrKeyEmpty
	}
	t.writes[string(key)] = write{key: bytes.Clone(key), deleted: true}
	return nil
}

// valid implements source.
func (t *txn) valid() error {
	if t.done {
		return backend.ErrTxDone
	}
	return nil
}

// read implements source. Reading a range makes the commit compare the
// marker, since single-key comparisons cannot see keys deleted from a range.
func (t *txn) read(start, end string, limit int64, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if t.done {
		return nil, backend.ErrTxDone
	}
	opts = append(opts, clientv3.WithRange(end), clientv3.WithLimit(limit))
	if t.rev != 0 {
		opts = append(opts, clientv3.WithRev(t.rev))
	}
	resp, err := t.b.get(t.ctx, start, opts...)
	if err != nil {
		t.failed(err)
		return nil, err
	}
	if t.rev == 0 {
		t.rev = resp.Header.Revision
	}
	t.ranged = true
	return resp, nil
}

// failed notes a read error that invalidates the attempt.
func (t *txn) failed(err error) {
	if t.stale == nil && errors.Is(err, ErrCompacted) {
		t.stale = err
	}
}

// end makes later calls fail with backend.ErrTxDone.
func (t *txn) end() { t.done = true }

// commit sends the buffered writes, with the marker, in one etcd Txn
// guarded by the conditions. It reports lost when a condition failed.
func (t *txn) commit(ctx context.Context) (lost, err error) {
	if len(t.writes) == 0 {
		return nil, nil
	}
	ops := make([]clientv3.Op, 0, len(t.writes)+1)
	for _, k := range slices.Sorted(maps.Keys(t.writes)) {
		w := t.writes[k]
		if w.deleted {
			ops = append(ops, clientv3.OpDelete(t.b.prefix+k))
		} else {
			ops = append(ops, clientv3.OpPut(t.b.prefix+k, string(w.value)))
		}
	}
	ops = append(ops, clientv3.OpPut(t.b.prefix, marker))
	resp, err := t.b.txn(ctx, t.conditions(), ops, nil)
	if err != nil {
		return nil, fmt.Errorf("etcd: commit %d writes: %w", len(t.writes), err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("etcd: commit: a concurrent commit changed what the transaction read at revision %d: %w",
			t.rev, backend.ErrConflict), nil
	}
	return nil, nil
}

// conditions are the comparisons under which the commit is serializable:
// nothing the transaction read has changed since its revision.
func (t *txn) conditions() []clientv3.Cmp {
	if t.rev == 0 {
		return nil
	}
	if t.ranged || len(t.reads) > maxKeyCompares {
		return []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(t.b.prefix), "<", t.rev+1)}
	}
	cmps := make([]clientv3.Cmp, 0, len(t.reads))
	for k, modRev := range t.reads {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(t.b.prefix+k), "=", modRev))
	}
	return cmps
}
