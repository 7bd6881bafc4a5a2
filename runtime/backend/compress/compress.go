// Package compress is a layer over any backend.Backend that compresses
// values on the way in and decompresses them on the way out, with LZ4,
// Zstandard, Snappy or S2, and is itself a backend.Backend. Keys, ordering
// and transactions are the inner engine's; the layer owns only the format
// of stored values.
//
// # Stored format
//
// Every value is stored as one header byte naming the Codec it was written
// with, then the payload; header 0 means the payload is the value itself.
// Readers decode whatever header they find, so a store may switch codecs at
// any time and keep reading what older codecs wrote. Values shorter than
// MinSize, larger than 64 MiB, or that do not shrink are stored raw.
//
// Because every stored value carries a header, the layer must be in place
// from the day a store is created: a value written by the bare engine has
// no header, and its first byte would be read as one. There is no reliable
// way to tell such a value from a stored one, so the layer does not try;
// a value it cannot decode is reported as backend.ErrCorrupt. Adding the
// layer to an existing store means copying the data through it (Backup from
// the bare engine, Restore into the layer).
package compress

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/synapsed/storegen/runtime/backend"
)

// DefaultMinSize is the shortest value compressed unless MinSize says
// otherwise: below it the codecs' framing eats most of the gain.
const DefaultMinSize = 64

// Option configures New.
type Option func(*config)

type config struct {
	minSize int
}

// MinSize sets the shortest value that is compressed; shorter ones are
// stored raw. n below 0 counts as 0.
func MinSize(n int) Option {
	return func(c *config) { c.minSize = max(n, 0) }
}

// scratchKeep is the largest read buffer returned to the pool, so that one
// huge value does not pin its buffer for good.
const scratchKeep = 64 << 10

// Backend is a backend.Backend that stores values compressed with its
// Codec and reads values written with any codec. All methods are safe for
// concurrent use. Close closes the inner engine.
type Backend struct {
	inner   backend.Backend
	codec   Codec
	minSize int

	// raw and stored count the bytes of values committed through this
	// Backend before and after encoding, header included.
	raw, stored atomic.Int64

	// scratch holds *[]byte buffers that receive stored values before they
	// are decoded into the caller's buffer.
	scratch sync.Pool
}

// New returns a layer over inner that writes values with codec, and takes
// inner over: closing the layer closes inner. It panics if codec is not
// one of the Codec constants.
func New(inner backend.Backend, codec Codec, opts ...Option) *Backend {
	if !codec.known() {
		panic("compress: unknown " + codec.String())
	}
	c := config{minSize: DefaultMinSize}
	for _, o := range opts {
		o(&c)
	}
	b := &Backend{inner: inner, codec: codec, minSize: c.minSize}
	b.scratch.New = func() any { return new([]byte) }
	return b
}

// Codec returns the codec b writes with.
func (b *Backend) Codec() Codec { return b.codec }

// Get appends the decoded value of key to buf. The stored value is read
// into a pooled buffer and decoded into buf, so with a large enough buf a
// Get allocates nothing once the pool has warmed up.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	sp := b.scratch.Get().(*[]byte)
	stored, err := b.inner.Get(ctx, key, (*sp)[:0])
	if err == nil {
		buf, err = decodeInto(buf, stored)
	}
	b.putScratch(sp, stored)
	if err != nil {
		return nil, err
	}
	return buf, nil
}

func (b *Backend) putScratch(sp *[]byte, used []byte) {
	if cap(used) <= scratchKeep && cap(used) > cap(*sp) {
		*sp = used[:0]
	}
	b.scratch.Put(sp)
}

// decodeInto appends the value held by stored to buf, returning a non-nil
// slice for a present empty value.
func decodeInto(buf, stored []byte) ([]byte, error) {
	out, err := decode(buf, stored)
	if err == nil && out == nil {
		out = []byte{}
	}
	return out, err
}

// View opens a snapshot of the inner engine whose reads decode values.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	v, err := b.inner.View(ctx)
	if err != nil {
		return nil, err
	}
	return &view{reader: reader{b: b, r: v}, inner: v}, nil
}

// Update runs fn in a transaction of the inner engine whose writes encode
// and whose reads decode values. The byte counts behind Ratio grow only
// when the transaction commits.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	var raw, stored int64
	err := b.inner.Update(ctx, func(inner backend.Txn) error {
		t := &txn{reader: reader{b: b, r: inner}, inner: inner}
		err := fn(t)
		raw, stored = t.raw, t.stored // this run's counts, if the engine runs fn again
		return err
	})
	if err == nil {
		b.raw.Add(raw)
		b.stored.Add(stored)
	}
	return err
}

// TxnLimits implements backend.TxnLimiter with the inner engine's limits,
// none (0, 0) when it states none, so that bulk writers such as Restore
// keep to them through the layer.
func (b *Backend) TxnLimits() (keys, bytes int) { return backend.TxnLimitsOf(b.inner) }

// Flush flushes the inner engine.
func (b *Backend) Flush(ctx context.Context) error { return b.inner.Flush(ctx) }

// Stats reports the inner engine's statistics with "compress_raw_bytes"
// and "compress_stored_bytes" added to Figures.
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) {
	st, err := b.inner.Stats(ctx)
	if err != nil {
		return st, err
	}
	figures := make(map[string]int64, len(st.Figures)+2)
	for k, v := range st.Figures {
		figures[k] = v
	}
	figures["compress_raw_bytes"] = b.raw.Load()
	figures["compress_stored_bytes"] = b.stored.Load()
	st.Figures = figures
	return st, nil
}

// Ratio returns the bytes of values committed through b divided by the
// bytes stored for them, headers included, since New: above 1 when
// compression pays. It is 1 before anything is written.
func (b *Backend) Ratio() float64 {
	raw, stored := b.raw.Load(), b.stored.Load()
	if stored == 0 {
		return 1
	}
	return float64(raw) / float64(stored)
}

// Path returns the inner engine's path, if it has one.
func (b *Backend) Path() string {
	if p, ok := b.inner.(backend.Pather); ok {
		return p.Path()
	}
	return ""
}

// Close closes the inner engine.
func (b *Backend) Close() error { return b.inner.Close() }

// reader decodes the values read through a view or a transaction.
type reader struct {
	b *Backend
	r backend.Reader
}

func (r reader) Get(key, buf []byte) ([]byte, error) {
	sp := r.b.scratch.Get().(*[]byte)
	stored, err := r.r.Get(key, (*sp)[:0])
	if err == nil {
		buf, err = decodeInto(buf, stored)
	}
	r.b.putScratch(sp, stored)
	if err != nil {
		return nil, err
	}
	return buf, nil
}

func (r reader) Range(lo, hi []byte, reverse bool) backend.Iterator {
	return &iterator{inner: r.r.Range(lo, hi, reverse)}
}

type view struct {
	reader
	inner backend.View
}

func (v *view) Close() error { return v.inner.Close() }

// txn encodes values on Set into a buffer it reuses, since the inner
// engine copies what it is given.
type txn struct {
	reader
	inner       backend.Txn
	buf         []byte
	raw, stored int64
}

func (t *txn) Set(key, value []byte) error {
	t.buf = encode(t.buf[:0], value, t.b.codec, t.b.minSize)
	if err := t.inner.Set(key, t.buf); err != nil {
		return err
	}
	t.raw += int64(len(value))
	t.stored += int64(len(t.buf))
	return nil
}

func (t *txn) Delete(key []byte) error { return t.inner.Delete(key) }

// iterator decodes each value as Next reaches it, so that a damaged value
// ends the iteration with an error wrapping backend.ErrCorrupt. A raw
// value is handed out from the inner iterator's memory; a compressed one
// is decoded into buf, which the next entry reuses: either way Value is
// valid until the next Next or Close, as the interface promises.
type iterator struct {
	inner backend.Iterator
	value []byte
	buf   []byte
	err   error
}

func (it *iterator) Next() bool {
	if it.err != nil {
		return false
	}
	if !it.inner.Next() {
		it.value = nil
		return false
	}
	stored := it.inner.Value()
	if len(stored) > 0 && Codec(stored[0]) == None {
		it.value = stored[1:]
		return true
	}
	v, err := decode(it.buf[:0], stored)
	if err != nil {
		it.err, it.value = err, nil
		return false
	}
	it.buf, it.value = v, v // keep buf, perhaps grown, for the next entry
	return true
}

func (it *iterator) Key() []byte   { return it.inner.Key() }
func (it *iterator) Value() []byte { return it.value }

func (it *iterator) Err() error {
	if it.err != nil {
		return it.err
	}
	return it.inner.Err()
}

func (it *iterator) Close() error {
	err := it.inner.Close()
	if it.err != nil {
		return it.err
	}
	return err
}
