package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/codec"
	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/substrates"
)

// Key layout. A store named n keeps
//
//	n 0x00 key                  -> encoded record
//	n 0x01 index 0x00 ik        -> key   (unique index)
//	n 0x01 index 0x00 ik key    -> key   (plain index)
//
// where key and ik are the order-preserving encodings of the primary key and
// of the indexed fields. Names hold no 0x00 or 0x01, so no keyspace is a
// prefix of another's.
const (
	valueTag = 0x00
	indexTag = 0x01
)

// Table is the runtime half of a generated store: it owns the key layout,
// index upkeep and error wrapping for records of type V keyed by K.
// Generated stores hold one and forward to it. It is safe for concurrent use.
type Table[K, V any] struct {
	db          *DB
	s           *Schema[K, V]
	ks          *keyspace
	mon         *opMonitor // the keyspace's; nil with monitoring off
	valuePrefix []byte
	indexPrefix [][]byte

	spare sync.Pool // *V, see decodeOut

	// shared, when the backend keeps decoded values and the schema can
	// clone records, serves Get: see getShared.
	shared  backend.DecodedGetter
	decoder *backend.Decoder

	conduit *substrates.Conduit[Event[K, V]]
	events  *substrates.Channel[Event[K, V]]
}

// NewTable binds schema s to db. It panics if s is malformed, which is a bug
// in generated code, not a runtime condition.
func NewTable[K, V any](db *DB, s *Schema[K, V]) *Table[K, V] {
	if err := validName(s.Name); err != nil {
		panic(err)
	}
	t := &Table[K, V]{db: db, s: s}
	t.spare.New = func() any { return new(V) }
	t.valuePrefix = append([]byte(s.Name), valueTag)
	seen := make(map[string]bool, len(s.Indexes))
	for _, ix := range s.Indexes {
		if err := validName(ix.Name); err != nil || seen[ix.Name] {
			panic(fmt.Sprintf("storegen: store %s: bad or duplicate index name %q", s.Name, ix.Name))
		}
		seen[ix.Name] = true
		p := append([]byte(s.Name), indexTag)
		p = append(p, ix.Name...)
		t.indexPrefix = append(t.indexPrefix, append(p, 0x00))
	}
	t.ks = db.register(s.Name)
	t.mon = t.ks.mon
	t.ks.mu.Lock()
	defer t.ks.mu.Unlock()
	if t.ks.conduit == nil {
		t.ks.conduit = substrates.NewConduit[Event[K, V]](db.circuit, s.Name)
		t.ks.watchJSON = t.watchJSON
		t.ks.feed = t.feedChange
		t.ks.decoder = &backend.Decoder{Decode: t.decodeShared}
	}
	c, ok := t.ks.conduit.(*substrates.Conduit[Event[K, V]])
	if !ok {
		panic(fmt.Sprintf("storegen: keyspace %s is already open with another record type", s.Name))
	}
	if dg, ok := db.b.(backend.DecodedGetter); ok && s.Clone != nil {
		t.shared, t.decoder = dg, t.ks.decoder
	}
	t.conduit, t.events = c, c.Channel(s.Name)
	return t
}

// Conduit returns the conduit the store's change events flow through, for
// subscribers that want them on the circuit rather than on a channel.
func (t *Table[K, V]) Conduit() *substrates.Conduit[Event[K, V]] { return t.conduit }

// watched reports whether anyone listens to the store's changes; only then
// does a transaction keep them.
// Following a feed, the feed publishes them instead.
func (t *Table[K, V]) watched() bool { return t.db.feed == nil && t.conduit.Subscribed() }

func validName(name string) error {
	if name == "" {
		return errors.New("storegen: empty keyspace name")
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || 'A' <= c && c <= 'Z') {
			return fmt.Errorf("storegen: keyspace name %q: only letters, digits and '_' are allowed", name)
		}
	}
	return nil
}

// Name returns the store's keyspace name.
func (t *Table[K, V]) Name() string { return t.s.Name }

// DB returns the DB the table stores into.
func (t *Table[K, V]) DB() *DB { return t.db }

// prefixRange returns the bounds [lo, hi) of the stored keys of the
// records whose encoded key starts with prefix; all records for nil.
func (t *Table[K, V]) prefixRange(prefix []byte) (lo, hi []byte) {
	lo = append(append([]byte{}, t.valuePrefix...), prefix...)
	return lo, backend.PrefixEnd(lo)
}

func (t *Table[K, V]) appendValueKey(dst []byte, k K) []byte {
	return t.s.AppendKey(append(dst, t.valuePrefix...), k)
}

func (t *Table[K, V]) opError(op string, k K, err error) error {
	return &OpError{Store: t.s.Name, Op: op, Key: t.s.formatKey(k), Err: mapBackendErr(err)}
}

func (t *Table[K, V]) indexError(op string, ix int, value []byte, err error) error {
	key := Redacted
	if !t.s.Indexes[ix].Sensitive {
		key = t.s.Indexes[ix].Name + "=" + renderKey(value)
	}
	return &OpError{Store: t.s.Name, Op: op, Key: key, Err: mapBackendErr(err)}
}

// renderKey shows an encoded index value in an error. When it reads as a
// tuple of string components — the common case — it shows them quoted and
// joined by '/'; otherwise the raw bytes, quoted.
func renderKey(enc []byte) string {
	var parts []string
	for rest := enc; len(rest) > 0; {
		s, r, err := codec.KeyString(rest)
		if err != nil {
			return fmt.Sprintf("%q", enc)
		}
		parts = append(parts, strconv.Quote(s))
		rest = r
	}
	if len(parts) == 0 {
		return `""`
	}
	return strings.Join(parts, "/")
}

// decodeOut decodes b into a new V without the allocation that decoding
// into a local would cost (its address escapes into the generated decoder,
// which is called through a func value): it decodes into a pooled value
// and copies it out. On error it returns the zero V.
func (t *Table[K, V]) decodeOut(b []byte) (V, error) {
	p := t.spare.Get().(*V)
	err := t.decode(b, p)
	var v V
	v, *p = *p, v
	t.spare.Put(p)
	if err != nil {
		var zero V
		return zero, err
	}
	return v, nil
}

// notFound maps the backend's ErrNotFound to the store's.
func notFound(err error) error {
	if errors.Is(err, backend.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

func (t *Table[K, V]) decode(b []byte, v *V) error {
	if err := t.s.Decode(b, v); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}

// end finishes measuring an operation of the store (see monitor.go) and
// emits its OpEvent when one is wanted, with the key k or, if k is nil,
// that of v, if v is not nil. Keys are formatted only for the event.
func (t *Table[K, V]) end(r opRun, kind opKind, k *K, v *V, txID uint64, count int, err error) {
	d := t.db.end(t.mon, kind, r, err)
	if !r.events {
		return
	}
	key := ""
	switch {
	case k != nil:
		key = t.s.formatKey(*k)
	case v != nil:
		key = t.s.formatKey(t.s.KeyOf(v))
	}
	t.db.emitOp(r, d, opOf[kind], t.s.Name, key, txID, count, err)
}

// Status returns the store's Status as its Assessor judged it on the last
// closed window of operations: STABLE and TENTATIVE until it has seen
// enough, and always with monitoring off. It costs a clock read and, once
// per window slot, a judgement of about a microsecond.
func (t *Table[K, V]) Status() serventis.Status {
	if t.mon == nil {
		return unmonitored
	}
	return t.mon.a.Status()
}

// Get returns the record with key k, or an error matching ErrNotFound.
func (t *Table[K, V]) Get(ctx context.Context, k K) (V, error) {
	r := t.db.begin(t.mon, kindGet)
	v, err := t.get(ctx, k)
	t.end(r, kindGet, &k, nil, 0, 1, err)
	return v, err
}

func (t *Table[K, V]) get(ctx context.Context, k K) (V, error) {
	var v V
	sc := t.db.getScratch()
	defer t.db.putScratch(sc)
	sc.key = t.appendValueKey(sc.key[:0], k)
	if t.shared != nil {
		return t.getShared(ctx, sc.key, k)
	}
	val, err := t.db.b.Get(ctx, sc.key, sc.val[:0])
	if err != nil {
		return v, t.opError("Get", k, notFound(err))
	}
	sc.val = val
	if v, err = t.decodeOut(val); err != nil {
		return v, t.opError("Get", k, err)
	}
	return v, nil
}

// getShared reads the record at key from a backend that keeps decoded
// values (the cache layer): a record is decoded once while the backend
// keeps its value, and every reader gets its own clone of it, so that
// nothing a caller does to its record reaches another's.
func (t *Table[K, V]) getShared(ctx context.Context, key []byte, k K) (V, error) {
	var v V
	d, err := t.shared.GetDecoded(ctx, key, t.decoder)
	if err != nil {
		return v, t.opError("Get", k, notFound(err))
	}
	src, ok := d.(*V)
	if !ok {
		// The decoder is the keyspace's, which holds one record type.
		return v, t.opError("Get", k, fmt.Errorf("%w: decoded as %T", ErrCorrupt, d))
	}
	return t.s.Clone(src), nil
}

// decodeShared is the keyspace's backend.Decoder: it decodes a record for
// getShared, into a value that readers share and clone.
func (t *Table[K, V]) decodeShared(b []byte) (any, error) {
	v := new(V)
	if err := t.decode(b, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Exists reports whether a record with key k exists.
func (t *Table[K, V]) Exists(ctx context.Context, k K) (bool, error) {
	r := t.db.begin(t.mon, kindExists)
	ok, err := t.exists(ctx, k)
	t.end(r, kindExists, &k, nil, 0, 1, err)
	return ok, err
}

func (t *Table[K, V]) exists(ctx context.Context, k K) (bool, error) {
	sc := t.db.getScratch()
	defer t.db.putScratch(sc)
	sc.key = t.appendValueKey(sc.key[:0], k)
	val, err := t.db.b.Get(ctx, sc.key, sc.val[:0])
	switch {
	case err == nil:
		sc.val = val
		return true, nil
	case errors.Is(err, backend.ErrNotFound):
		return false, nil
	}
	return false, t.opError("Exists", k, err)
}

// Put stores v, replacing any record with the same key.
func (t *Table[K, V]) Put(ctx context.Context, v V) error {
	r := t.db.begin(t.mon, kindPut)
	txID, _, err := t.db.update(ctx, func(tx *Tx) error { return t.write(tx, &v, false) })
	t.end(r, kindPut, nil, &v, txID, 1, err)
	return err
}

// Insert stores v, or returns an error matching ErrExists if its key is
// taken.
func (t *Table[K, V]) Insert(ctx context.Context, v V) error {
	r := t.db.begin(t.mon, kindInsert)
	txID, _, err := t.db.update(ctx, func(tx *Tx) error { return t.write(tx, &v, true) })
	t.end(r, kindInsert, nil, &v, txID, 1, err)
	return err
}

// Delete removes the record with key k and reports whether it existed.
func (t *Table[K, V]) Delete(ctx context.Context, k K) (bool, error) {
	r := t.db.begin(t.mon, kindDelete)
	var existed bool
	txID, _, err := t.db.update(ctx, func(tx *Tx) (err error) {
		existed, err = t.remove(tx, k)
		return err
	})
	t.end(r, kindDelete, &k, nil, txID, b2i(existed), err)
	return existed, err
}

// PutAll stores every record of vs in one transaction: all or none.
func (t *Table[K, V]) PutAll(ctx context.Context, vs []V) error {
	r := t.db.begin(t.mon, kindBatch)
	txID, _, err := t.db.update(ctx, func(tx *Tx) error { return t.writeAll(tx, vs) })
	t.end(r, kindBatch, nil, nil, txID, len(vs), err)
	return err
}

// DeleteAll removes the records with the given keys in one transaction and
// returns how many existed.
func (t *Table[K, V]) DeleteAll(ctx context.Context, keys []K) (int, error) {
	r := t.db.begin(t.mon, kindBatch)
	var n int
	txID, _, err := t.db.update(ctx, func(tx *Tx) (err error) {
		n, err = t.removeAll(tx, keys)
		return err
	})
	t.end(r, kindBatch, nil, nil, txID, n, err)
	return n, err
}

// writeAll writes every record of vs in tx.
func (t *Table[K, V]) writeAll(tx *Tx, vs []V) error {
	for i := range vs {
		if err := t.write(tx, &vs[i], false); err != nil {
			return err
		}
	}
	return nil
}

// removeAll removes the records with the given keys in tx and returns how
// many existed.
func (t *Table[K, V]) removeAll(tx *Tx, keys []K) (int, error) {
	n := 0
	for _, k := range keys {
		existed, err := t.remove(tx, k)
		if err != nil {
			return n, err
		}
		n += b2i(existed)
	}
	return n, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Scan iterates every record in key order (see ScanOption).
func (t *Table[K, V]) Scan(ctx context.Context, opts ...ScanOption) iter.Seq2[V, error] {
	return t.viewSeq(ctx, func(r backend.Reader, yield func(V, error) bool) (int, error) {
		lo, hi := t.prefixRange(nil)
		return t.scan(ctx, r, lo, hi, scanConfigOf(opts), yield)
	})
}

// ScanRange iterates the records with from <= key < to.
func (t *Table[K, V]) ScanRange(ctx context.Context, from, to K, opts ...ScanOption) iter.Seq2[V, error] {
	return t.viewSeq(ctx, func(r backend.Reader, yield func(V, error) bool) (int, error) {
		return t.scan(ctx, r, t.appendValueKey(nil, from), t.appendValueKey(nil, to), scanConfigOf(opts), yield)
	})
}

// ScanPrefix iterates the records whose encoded key starts with prefix:
// generated code passes the encoding of leading key fields, or of a string
// prefix of a string key.
func (t *Table[K, V]) ScanPrefix(ctx context.Context, prefix []byte, opts ...ScanOption) iter.Seq2[V, error] {
	return t.viewSeq(ctx, func(r backend.Reader, yield func(V, error) bool) (int, error) {
		lo, hi := t.prefixRange(prefix)
		return t.scan(ctx, r, lo, hi, scanConfigOf(opts), yield)
	})
}

// GetUnique returns the record whose unique index ix holds the encoded
// value ik, or an error matching ErrNotFound.
func (t *Table[K, V]) GetUnique(ctx context.Context, ix int, ik []byte) (V, error) {
	r := t.db.begin(t.mon, kindGet)
	v, err := t.getUniqueView(ctx, ix, ik)
	t.end(r, kindGet, nil, nil, 0, 1, err)
	return v, err
}

func (t *Table[K, V]) getUniqueView(ctx context.Context, ix int, ik []byte) (V, error) {
	var v V
	if t.db.closed.Load() {
		return v, ErrClosed
	}
	view, err := t.db.openView(ctx)
	if err != nil {
		return v, t.indexError("GetBy"+t.s.Indexes[ix].Name, ix, ik, err)
	}
	defer t.db.closeView(view)
	return t.getUnique(view, ix, ik)
}

// List iterates the records whose index ix starts with the encoded prefix
// ik (all indexed fields for an exact match, or leading ones), in index
// order and then key order.
func (t *Table[K, V]) List(ctx context.Context, ix int, ik []byte, opts ...ScanOption) iter.Seq2[V, error] {
	return t.viewSeq(ctx, func(r backend.Reader, yield func(V, error) bool) (int, error) {
		return t.list(ctx, r, ix, ik, scanConfigOf(opts), yield)
	})
}

// viewSeq runs body over a view opened when iteration starts and closed
// when it stops, and measures it as one scan: body returns how many
// records it yielded and the error it yielded, if any.
func (t *Table[K, V]) viewSeq(ctx context.Context, body func(backend.Reader, func(V, error) bool) (int, error)) iter.Seq2[V, error] {
	return func(yield func(V, error) bool) {
		r := t.db.begin(t.mon, kindScan)
		n, err := t.viewScan(ctx, body, yield)
		t.end(r, kindScan, nil, nil, 0, n, err)
	}
}

func (t *Table[K, V]) viewScan(ctx context.Context, body func(backend.Reader, func(V, error) bool) (int, error), yield func(V, error) bool) (int, error) {
	var zero V
	if t.db.closed.Load() {
		err := &OpError{Store: t.s.Name, Op: "Scan", Err: ErrClosed}
		yield(zero, err)
		return 0, err
	}
	view, err := t.db.openView(ctx)
	if err != nil {
		err := &OpError{Store: t.s.Name, Op: "Scan", Err: err}
		yield(zero, err)
		return 0, err
	}
	defer t.db.closeView(view)
	return body(view, yield)
}

// putValue writes a copy of v kept in tx's scratch space, so that v does
// not escape to the heap, and measures it as a Put or an Insert.
func (t *Table[K, V]) putValue(tx *Tx, v V, insert bool) error {
	kind := kindPut
	if insert {
		kind = kindInsert
	}
	r := t.db.begin(t.mon, kind)
	var err error
	if tx.done {
		err = t.write(tx, &v, insert) // reports ErrTxDone
	} else {
		log := logOf(tx, t)
		log.cur = v
		err = t.write(tx, &log.cur, insert)
	}
	t.end(r, kind, nil, &v, tx.id, 1, err)
	return err
}

// write writes v in tx. Unique indexes are checked before anything is
// written, so a conflict leaves tx as it was.
func (t *Table[K, V]) write(tx *Tx, v *V, insert bool) error {
	w, err := tx.writer()
	if err != nil {
		return err
	}
	op := "Put"
	if insert {
		op = "Insert"
	}
	k := t.s.KeyOf(v)
	sc := &tx.st.buf
	sc.key = t.appendValueKey(sc.key[:0], k)
	pk := sc.key[len(t.valuePrefix):]

	// The stored record matters to an Insert, to index maintenance and to
	// a watcher (Created or Updated, and Old); otherwise a Put writes
	// blindly, without reading it.
	watched := t.watched()
	var old []byte
	exists := false
	if insert || watched || len(t.s.Indexes) > 0 {
		old, err = w.Get(sc.key, sc.val[:0])
		exists = err == nil
		switch {
		case exists:
			sc.val = old
			if insert {
				return t.opError(op, k, ErrExists)
			}
		case !errors.Is(err, backend.ErrNotFound):
			return t.opError(op, k, err)
		}
	}

	// Encode first: a value that cannot be encoded must not leave index
	// entries behind.
	enc, err := t.s.Encode(sc.enc[:0], v)
	if err != nil {
		return t.opError(op, k, err)
	}
	sc.enc = enc
	log := logOf(tx, t)
	var oldV *V
	if exists && (watched || len(t.s.Indexes) > 0) {
		oldV = &log.old
		if err := t.decode(old, oldV); err != nil {
			return t.opError(op, k, err)
		}
	}
	if len(t.s.Indexes) > 0 {
		if err := t.updateIndexes(w, sc, pk, oldV, v, op, k); err != nil {
			return err
		}
	}
	if err := w.Set(sc.key, sc.enc); err != nil {
		return t.opError(op, k, err)
	}
	tx.st.writes++
	if watched {
		kind := Created
		if exists {
			kind = Updated
		}
		record(tx, log, kind, k, oldV, v)
	}
	return nil
}

// updateIndexes moves v's index entries from their values in oldV (nil for
// a new record) to those in newV (nil for a deletion).
func (t *Table[K, V]) updateIndexes(w backend.Txn, sc *scratch, pk []byte, oldV, newV *V, op string, k K) error {
	// Entry keys are built into one slab; ends[i] marks where entry i stops.
	var endsBuf [16]int
	oldEnds, newEnds := endsBuf[:0:8], endsBuf[8:8:16]
	slab := sc.aux[:0]
	entry := func(ix int, v *V) {
		slab = append(slab, t.indexPrefix[ix]...)
		slab = t.s.Indexes[ix].AppendKey(slab, v)
		if !t.s.Indexes[ix].Unique {
			slab = append(slab, pk...)
		}
	}
	for ix := range t.s.Indexes {
		if oldV != nil {
			entry(ix, oldV)
		}
		oldEnds = append(oldEnds, len(slab))
		if newV != nil {
			entry(ix, newV)
		}
		newEnds = append(newEnds, len(slab))
	}
	sc.aux = slab
	span := func(ix int) (oldKey, newKey []byte) {
		start := 0
		if ix > 0 {
			start = newEnds[ix-1]
		}
		return slab[start:oldEnds[ix]], slab[oldEnds[ix]:newEnds[ix]]
	}

	// Check every unique index first so a conflict writes nothing.
	for ix, def := range t.s.Indexes {
		oldKey, newKey := span(ix)
		if !def.Unique || newV == nil || (oldV != nil && bytes.Equal(oldKey, newKey)) {
			continue
		}
		owner, err := w.Get(newKey, sc.idx[:0])
		switch {
		case err == nil:
			sc.idx = owner
			if !bytes.Equal(owner, pk) {
				ikv := newKey[len(t.indexPrefix[ix]):]
				return t.indexError(op, ix, ikv, fmt.Errorf("%w: unique index %s already holds this value for another record", ErrConflict, def.Name))
			}
		case !errors.Is(err, backend.ErrNotFound):
			return t.opError(op, k, err)
		}
	}
	for ix := range t.s.Indexes {
		oldKey, newKey := span(ix)
		if oldV != nil && newV != nil && bytes.Equal(oldKey, newKey) {
			continue
		}
		if oldV != nil {
			if err := w.Delete(oldKey); err != nil {
				return t.opError(op, k, err)
			}
		}
		if newV != nil {
			if err := w.Set(newKey, pk); err != nil {
				return t.opError(op, k, err)
			}
		}
	}
	return nil
}

// remove removes the record with key k in tx.
func (t *Table[K, V]) remove(tx *Tx, k K) (bool, error) {
	w, err := tx.writer()
	if err != nil {
		return false, err
	}
	sc := &tx.st.buf
	sc.key = t.appendValueKey(sc.key[:0], k)
	old, err := w.Get(sc.key, sc.val[:0])
	switch {
	case errors.Is(err, backend.ErrNotFound):
		return false, nil
	case err != nil:
		return false, t.opError("Delete", k, err)
	}
	sc.val = old
	watched := t.watched()
	log := logOf(tx, t)
	oldV := &log.old
	if watched || len(t.s.Indexes) > 0 {
		if err := t.decode(old, oldV); err != nil {
			return false, t.opError("Delete", k, err)
		}
	}
	if len(t.s.Indexes) > 0 {
		pk := sc.key[len(t.valuePrefix):]
		if err := t.updateIndexes(w, sc, pk, oldV, nil, "Delete", k); err != nil {
			return false, err
		}
	}
	if err := w.Delete(sc.key); err != nil {
		return false, t.opError("Delete", k, err)
	}
	tx.st.writes++
	if watched {
		record(tx, log, Deleted, k, oldV, nil)
	}
	return true, nil
}

// getIn reads the record with key k through r.
func (t *Table[K, V]) getIn(r backend.Reader, sc *scratch, k K) (V, error) {
	var v V
	sc.key = t.appendValueKey(sc.key[:0], k)
	val, err := r.Get(sc.key, sc.val[:0])
	if err != nil {
		return v, t.opError("Get", k, notFound(err))
	}
	sc.val = val
	if v, err = t.decodeOut(val); err != nil {
		return v, t.opError("Get", k, err)
	}
	return v, nil
}

func (t *Table[K, V]) getUnique(r backend.Reader, ix int, ik []byte) (V, error) {
	var v V
	sc := t.db.getScratch()
	defer t.db.putScratch(sc)
	sc.idx = append(append(sc.idx[:0], t.indexPrefix[ix]...), ik...)
	pk, err := r.Get(sc.idx, sc.aux[:0])
	if err != nil {
		return v, t.indexError("GetBy"+t.s.Indexes[ix].Name, ix, ik, notFound(err))
	}
	sc.aux = pk
	sc.key = append(append(sc.key[:0], t.valuePrefix...), pk...)
	val, err := r.Get(sc.key, sc.val[:0])
	if err != nil {
		return v, t.indexError("GetBy"+t.s.Indexes[ix].Name, ix, ik, fmt.Errorf("%w: index entry points at a missing record", ErrCorrupt))
	}
	sc.val = val
	if v, err = t.decodeOut(val); err != nil {
		return v, t.indexError("GetBy"+t.s.Indexes[ix].Name, ix, ik, err)
	}
	return v, nil
}

// scan yields the records whose stored keys k satisfy start <= k < end.
func (t *Table[K, V]) scan(ctx context.Context, r backend.Reader, start, end []byte, cfg scanConfig, yield func(V, error) bool) (int, error) {
	it := r.Range(start, end, cfg.reverse)
	return t.iterate(ctx, it, "Scan", cfg, yield, func(v *V) error {
		if err := t.decode(it.Value(), v); err != nil {
			return &OpError{Store: t.s.Name, Op: "Scan", Key: t.rawKey(it.Key()[len(t.valuePrefix):]), Err: err}
		}
		return nil
	})
}

// list yields the records whose entries in index ix start with ik.
func (t *Table[K, V]) list(ctx context.Context, r backend.Reader, ix int, ik []byte, cfg scanConfig, yield func(V, error) bool) (int, error) {
	prefix := append(append([]byte{}, t.indexPrefix[ix]...), ik...)
	it := backend.Prefix(r, prefix, cfg.reverse)
	op := "ListBy" + t.s.Indexes[ix].Name
	var key, val []byte
	return t.iterate(ctx, it, op, cfg, yield, func(v *V) error {
		key = append(append(key[:0], t.valuePrefix...), it.Value()...)
		var err error
		if val, err = r.Get(key, val[:0]); err != nil {
			return t.indexError(op, ix, ik, fmt.Errorf("%w: index entry points at a missing record", ErrCorrupt))
		}
		if err := t.decode(val, v); err != nil {
			return &OpError{Store: t.s.Name, Op: op, Key: t.rawKey(it.Value()), Err: err}
		}
		return nil
	})
}

// iterate drives it for scan and list: it applies the limit, checks ctx
// every 256 records, and yields what load makes of each entry, stopping at
// the first error. It returns how many records it loaded and the error it
// yielded, if any.
func (t *Table[K, V]) iterate(ctx context.Context, it backend.Iterator, op string, cfg scanConfig, yield func(V, error) bool, load func(v *V) error) (int, error) {
	defer it.Close()
	n := 0
	var zero V
	// Records are loaded into a pooled value and copied out: a local's
	// address passed to the generated decoder would escape, one allocation
	// per record.
	p := t.spare.Get().(*V)
	defer func() { *p = zero; t.spare.Put(p) }()
	for it.Next() {
		if cfg.limit > 0 && n >= cfg.limit {
			return n, nil
		}
		if t.db.reads.Closed() { // Close is waiting for this scan
			err := &OpError{Store: t.s.Name, Op: op, Err: ErrClosed}
			yield(zero, err)
			return n, err
		}
		if n%256 == 255 {
			if err := ctx.Err(); err != nil {
				err := &OpError{Store: t.s.Name, Op: op, Err: err}
				yield(zero, err)
				return n, err
			}
		}
		n++
		*p = zero
		if err := load(p); err != nil {
			yield(zero, err)
			return n, err
		}
		if !yield(*p, nil) {
			return n, nil
		}
	}
	if err := it.Err(); err != nil {
		err := &OpError{Store: t.s.Name, Op: op, Err: mapBackendErr(err)}
		yield(zero, err)
		return n, err
	}
	return n, nil
}

// rawKey renders an encoded key for an error when it cannot be decoded.
func (t *Table[K, V]) rawKey(enc []byte) string {
	if t.s.SensitiveKey {
		return Redacted
	}
	return fmt.Sprintf("%q", enc)
}
