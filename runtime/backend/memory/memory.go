// Package memory is the in-memory backend.Backend: an ordered copy-on-write
// B-tree in which every committed state is immutable, so a view is a free
// snapshot and a transaction works on a private clone that commit publishes
// atomically. It keeps nothing across restarts; use it for tests, caches and
// scratch data, and pebble or bbolt for data that must outlive the process.
package memory

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"

	"github.com/google/btree"

	"github.com/synapsed/storegen/runtime/backend"
)

// degree is the B-tree's branching factor; 32 keeps nodes within a few
// cache lines of slice headers and the tree shallow.
const degree = 32

// itemOverhead approximates the memory one entry costs beyond its key and
// value bytes: the item's two slice headers in a node plus the node and
// allocation slack. It only feeds Stats.MemoryBytes.
const itemOverhead = 64

// item is one entry. Its key and value share one allocation made by Set and
// are never written again, so they may be handed out without copying.
type item struct{ key, value []byte }

func less(a, b item) bool { return bytes.Compare(a.key, b.key) < 0 }

// state is one committed version of the data. Nothing modifies its tree
// after it is published: a writer clones it first, so any number of
// readers may use it without locks.
type state struct {
	tree  *btree.BTreeG[item]
	bytes int64 // sum of key and value lengths
}

// Backend is an in-memory, ordered key-value engine. Update is serializable
// because writers take turns; readers never wait for writers. The zero value
// is not usable; call New.
type Backend struct {
	gate    backend.Gate
	writer  sync.Mutex // held for the whole of an Update
	current atomic.Pointer[state]
}

// New returns an empty, open Backend.
func New() *Backend {
	b := &Backend{}
	b.current.Store(&state{tree: btree.NewG(degree, less)})
	return b
}

// Get appends the latest committed value of key to buf. It allocates only
// when buf lacks the capacity for the value.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return get(b.current.Load().tree, key, buf)
}

// View returns a snapshot of the data committed so far. It costs one atomic
// load: the snapshot is the committed state itself.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &view{b: b, tree: b.current.Load().tree}, nil
}

// Update runs fn on a clone of the committed state and publishes the clone
// if fn returns nil and ctx is still live. On an error or a panic the clone
// is dropped, so nothing fn wrote is kept; a panic continues unchanged. fn
// is called exactly once, and must not call Update or Close on b, which
// would wait for fn to return.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	if err := ctx.Err(); err != nil {
		return err
	}
	b.writer.Lock()
	defer b.writer.Unlock()
	if err := ctx.Err(); err != nil { // cancelled while waiting for the writer
		return err
	}
	cur := b.current.Load()
	t := &txn{tree: cur.tree.Clone(), bytes: cur.bytes}
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.current.Store(&state{tree: t.tree, bytes: t.bytes})
	return nil
}

// Flush does nothing: there is nothing to make durable. It still reports
// ErrClosed after Close, like every method.
func (b *Backend) Flush(context.Context) error {
	if err := b.gate.Enter(); err != nil {
		return err
	}
	b.gate.Exit()
	return nil
}

// Stats reports the exact number of keys and an estimate of the memory the
// data takes.
func (b *Backend) Stats(context.Context) (backend.Stats, error) {
	if err := b.gate.Enter(); err != nil {
		return backend.Stats{}, err
	}
	defer b.gate.Exit()
	cur := b.current.Load()
	n := int64(cur.tree.Len())
	return backend.Stats{
		Engine:      "memory",
		Keys:        n,
		MemoryBytes: cur.bytes + n*itemOverhead,
	}, nil
}

// Close waits for running calls, then drops the data. Views opened before
// Close keep their snapshot alive until they are closed, but report
// ErrClosed.
func (b *Backend) Close() error {
	if err := b.gate.Close(); err != nil {
		return err
	}
	b.current.Store(nil)
	return nil
}

func get(tree *btree.BTreeG[item], key, buf []byte) ([]byte, error) {
	it, ok := tree.Get(item{key: key})
	if !ok {
		return nil, backend.ErrNotFound
	}
	buf = append(buf, it.value...)
	if buf == nil {
		// Present but empty: callers may test the slice as well as the error.
		buf = []byte{}
	}
	return buf, nil
}

// view is a snapshot: the committed tree it was opened on.
type view struct {
	b      *Backend
	tree   *btree.BTreeG[item]
	closed atomic.Bool
}

func (v *view) check() error {
	if v.b.gate.Closed() {
		return backend.ErrClosed
	}
	if v.closed.Load() {
		return backend.ErrTxDone
	}
	return nil
}

func (v *view) Get(key, buf []byte) ([]byte, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	return get(v.tree, key, buf)
}

func (v *view) Range(lo, hi []byte, reverse bool) backend.Iterator {
	return newIterator(v, lo, hi, reverse)
}

func (v *view) Close() error {
	v.closed.Store(true)
	return nil
}

// source returns the tree to read and its generation; a view's tree never
// changes, so its generation is always 0.
func (v *view) source() (*btree.BTreeG[item], uint64, error) {
	return v.tree, 0, v.check()
}

// txn is a write transaction on a private clone. gen counts its writes so
// that its iterators notice them and re-read.
type txn struct {
	tree  *btree.BTreeG[item]
	bytes int64
	gen   uint64
	done  bool
}

func (t *txn) Get(key, buf []byte) ([]byte, error) {
	if t.done {
		return nil, backend.ErrTxDone
	}
	return get(t.tree, key, buf)
}

func (t *txn) Range(lo, hi []byte, reverse bool) backend.Iterator {
	return newIterator(t, lo, hi, reverse)
}

// Set stores a copy of key and value in one allocation.
func (t *txn) Set(key, value []byte) error {
	if t.done {
		return backend.ErrTxDone
	}
	if len(key) == 0 {
		return backend.ErrKeyEmpty
	}
	buf := make([]byte, len(key)+len(value))
	n := copy(buf, key)
	copy(buf[n:], value)
	old, replaced := t.tree.ReplaceOrInsert(item{key: buf[:n:n], value: buf[n:]})
	if replaced {
		t.bytes -= int64(len(old.key) + len(old.value))
	}
	t.bytes += int64(len(buf))
	t.gen++
	return nil
}

func (t *txn) Delete(key []byte) error {
	if t.done {
		return backend.ErrTxDone
	}
	if len(key) == 0 {
		return backend.ErrKeyEmpty
	}
	if old, ok := t.tree.Delete(item{key: key}); ok {
		t.bytes -= int64(len(old.key) + len(old.value))
		t.gen++
	}
	return nil
}

func (t *txn) source() (*btree.BTreeG[item], uint64, error) {
	if t.done {
		return nil, 0, backend.ErrTxDone
	}
	return t.tree, t.gen, nil
}
