package store

import (
	"errors"
	"iter"

	"github.com/synapsed/storegen/runtime/backend"
)

// TableTx is a Table bound to a transaction: the same operations, without a
// context, seeing the transaction's own writes. Generated XTx types wrap it.
type TableTx[K, V any] struct {
	t  *Table[K, V]
	tx *Tx
}

// In binds t to tx.
func (t *Table[K, V]) In(tx *Tx) TableTx[K, V] { return TableTx[K, V]{t: t, tx: tx} }

// Tx returns the transaction.
func (b TableTx[K, V]) Tx() *Tx { return b.tx }

// Get returns the record with key k, or an error matching ErrNotFound.
func (b TableTx[K, V]) Get(k K) (V, error) {
	r := b.t.db.begin(b.t.mon, kindGet)
	v, err := b.get(k)
	b.t.end(r, kindGet, &k, nil, b.tx.id, 1, err)
	return v, err
}

func (b TableTx[K, V]) get(k K) (V, error) {
	r, err := b.tx.reader()
	if err != nil {
		var zero V
		return zero, b.t.opError("Get", k, err)
	}
	return b.t.getIn(r, &b.tx.st.buf, k)
}

// Exists reports whether a record with key k exists.
func (b TableTx[K, V]) Exists(k K) (bool, error) {
	r := b.t.db.begin(b.t.mon, kindExists)
	_, err := b.get(k)
	ok := err == nil
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	b.t.end(r, kindExists, &k, nil, b.tx.id, 1, err)
	return ok, err
}

// Put stores v, replacing any record with the same key.
func (b TableTx[K, V]) Put(v V) error { return b.t.putValue(b.tx, v, false) }

// Insert stores v, or returns an error matching ErrExists.
func (b TableTx[K, V]) Insert(v V) error { return b.t.putValue(b.tx, v, true) }

// Delete removes the record with key k and reports whether it existed.
func (b TableTx[K, V]) Delete(k K) (bool, error) {
	r := b.t.db.begin(b.t.mon, kindDelete)
	existed, err := b.t.remove(b.tx, k)
	b.t.end(r, kindDelete, &k, nil, b.tx.id, b2i(existed), err)
	return existed, err
}

// PutAll stores every record of vs.
func (b TableTx[K, V]) PutAll(vs []V) error {
	r := b.t.db.begin(b.t.mon, kindBatch)
	err := b.t.writeAll(b.tx, vs)
	b.t.end(r, kindBatch, nil, nil, b.tx.id, len(vs), err)
	return err
}

// DeleteAll removes the records with the given keys and returns how many
// existed.
func (b TableTx[K, V]) DeleteAll(keys []K) (int, error) {
	r := b.t.db.begin(b.t.mon, kindBatch)
	n, err := b.t.removeAll(b.tx, keys)
	b.t.end(r, kindBatch, nil, nil, b.tx.id, n, err)
	return n, err
}

// Scan iterates every record in key order.
func (b TableTx[K, V]) Scan(opts ...ScanOption) iter.Seq2[V, error] {
	return b.seq(func(r backend.Reader, yield func(V, error) bool) (int, error) {
		lo, hi := b.t.prefixRange(nil)
		return b.t.scan(b.tx.ctx, r, lo, hi, scanConfigOf(opts), yield)
	})
}

// ScanRange iterates the records with from <= key < to.
func (b TableTx[K, V]) ScanRange(from, to K, opts ...ScanOption) iter.Seq2[V, error] {
	return b.seq(func(r backend.Reader, yield func(V, error) bool) (int, error) {
		return b.t.scan(b.tx.ctx, r, b.t.appendValueKey(nil, from), b.t.appendValueKey(nil, to), scanConfigOf(opts), yield)
	})
}

// ScanPrefix iterates the records whose encoded key starts with prefix.
func (b TableTx[K, V]) ScanPrefix(prefix []byte, opts ...ScanOption) iter.Seq2[V, error] {
	return b.seq(func(r backend.Reader, yield func(V, error) bool) (int, error) {
		lo, hi := b.t.prefixRange(prefix)
		return b.t.scan(b.tx.ctx, r, lo, hi, scanConfigOf(opts), yield)
	})
}

// GetUnique returns the record whose unique index ix holds ik.
func (b TableTx[K, V]) GetUnique(ix int, ik []byte) (V, error) {
	r := b.t.db.begin(b.t.mon, kindGet)
	v, err := b.getUnique(ix, ik)
	b.t.end(r, kindGet, nil, nil, b.tx.id, 1, err)
	return v, err
}

func (b TableTx[K, V]) getUnique(ix int, ik []byte) (V, error) {
	r, err := b.tx.reader()
	if err != nil {
		var zero V
		return zero, b.t.indexError("GetBy"+b.t.s.Indexes[ix].Name, ix, ik, err)
	}
	return b.t.getUnique(r, ix, ik)
}

// List iterates the records whose index ix starts with ik.
func (b TableTx[K, V]) List(ix int, ik []byte, opts ...ScanOption) iter.Seq2[V, error] {
	return b.seq(func(r backend.Reader, yield func(V, error) bool) (int, error) {
		return b.t.list(b.tx.ctx, r, ix, ik, scanConfigOf(opts), yield)
	})
}

// seq runs body over the transaction and measures it as one scan, as
// Table.viewSeq does.
func (b TableTx[K, V]) seq(body func(backend.Reader, func(V, error) bool) (int, error)) iter.Seq2[V, error] {
	return func(yield func(V, error) bool) {
		m := b.t.db.begin(b.t.mon, kindScan)
		var n int
		r, err := b.tx.reader()
		if err != nil {
			var zero V
			err = &OpError{Store: b.t.s.Name, Op: "Scan", Err: err}
			yield(zero, err)
		} else {
			n, err = body(r, yield)
		}
		b.t.end(m, kindScan, nil, nil, b.tx.id, n, err)
	}
}
