package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/btree"

	"github.com/synapsed/storegen/runtime/backend"
)

// write is a buffered Set (deleted false) or Delete of a transaction. Its
// bytes are the transaction's own copy and are never written again.
type write struct {
	key, value []byte
	deleted    bool
}

func writeLess(a, b write) bool { return bytes.Compare(a.key, b.key) < 0 }

// txn is a backend.Txn: reads at the snapshot the attempt started from,
// with the transaction's own writes, buffered in key order, laid over
// them. Nothing reaches the server before commit. It is used by the
// goroutine running the Update function.
type txn struct {
	ctx    context.Context
	snap   snapshot
	writes *btree.BTreeG[write]
	done   bool
	// lost is set when a read found the snapshot gone: the attempt cannot
	// commit, and whatever fn made of the error, Update tries again.
	lost bool
}

func newTxn(ctx context.Context, snap snapshot) *txn {
	return &txn{ctx: ctx, snap: snap, writes: btree.NewG(16, writeLess)}
}

func (t *txn) acquire() error {
	if t.done {
		return backend.ErrTxDone
	}
	return nil
}

func (t *txn) release() {}

func (t *txn) state() error { return t.acquire() }

func (t *txn) observe(err error) {
	if errors.Is(err, backend.ErrConflict) {
		t.lost = true
	}
}

// end ends the transaction for its user: later calls and its open
// iterators return backend.ErrTxDone.
func (t *txn) end() { t.done = true }

// Get implements backend.Reader.
func (t *txn) Get(key, buf []byte) ([]byte, error) {
	if t.done {
		return nil, backend.ErrTxDone
	}
	if w, ok := t.writes.Get(write{key: key}); ok {
		if w.deleted {
			return nil, backend.ErrNotFound
		}
		if buf == nil && len(w.value) == 0 {
			return []byte{}, nil
		}
		return append(buf, w.value...), nil
	}
	v, err := t.snap.get(t.ctx, key, buf)
	if err != nil {
		t.observe(err)
	}
	return v, err
}

// Range implements backend.Reader. The iterator sees the transaction's
// writes made before Range was called, not later ones.
func (t *txn) Range(lo, hi []byte, reverse bool) backend.Iterator {
	if t.done {
		return failed(backend.ErrTxDone)
	}
	var overlay []write
	visit := func(w write) bool {
		overlay = append(overlay, w)
		return true
	}
	switch {
	case hi == nil:
		t.writes.AscendGreaterOrEqual(write{key: lo}, visit)
	case bytes.Compare(lo, hi) < 0:
		t.writes.AscendRange(write{key: lo}, write{key: hi}, visit)
	}
	if reverse {
		slices.Reverse(overlay)
	}
	return newIterator(t, newScanner(t.snap, t.ctx, lo, hi, reverse), reverse, overlay)
}

// Set implements backend.Txn. It copies key and value into one allocation.
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
	t.writes.ReplaceOrInsert(write{key: buf[:n:n], value: buf[n:]})
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
	t.writes.ReplaceOrInsert(write{key: bytes.Clone(key), deleted: true})
	return nil
}

// commit sends the buffered writes to the commit script, which applies
// them only if no commit came since the snapshot. A transaction that wrote
// nothing commits without a round trip: its reads were a consistent
// snapshot, and it changes nothing.
func (t *txn) commit() (retry bool, err error) {
	n := t.writes.Len()
	if n == 0 {
		return false, nil
	}
	b := t.snap.b
	ops := make([]byte, 0, n)
	args := make([]any, 4, 4+2*n)
	args[0], args[1], args[2] = b.root, t.snap.at, b.retention.Milliseconds()
	t.writes.Ascend(func(w write) bool {
		op := byte('s')
		if w.deleted {
			op = 'd'
		}
		ops = append(ops, op)
		args = append(args, w.key, w.value)
		return true
	})
	args[3] = ops
	start := b.now()
	reply, err := commitScript.Run(t.ctx, b.client, nil, args...).Slice()
	b.roundTrip(start, err)
	if err != nil {
		return false, b.fail(t.ctx, "commit", err)
	}
	if ok, _ := reply[0].(int64); ok != 1 {
		return true, fmt.Errorf("redis: commit on %s: %w: another writer committed after commit %d", b.name, backend.ErrConflict, t.snap.at)
	}
	return false, nil
}
