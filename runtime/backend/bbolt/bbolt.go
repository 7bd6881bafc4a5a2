// Package bbolt is the backend.Backend engine on etcd's bbolt, a B+tree in
// one memory-mapped file. It owns the mapping of views to read-only bbolt
// transactions, of transactions to bbolt's single read-write transaction,
// and the bookkeeping that keeps use after Close from reaching a closed
// file; storage, locking and durability are bbolt's.
//
// All keys live in one bucket (DefaultBucket unless Bucket names another).
// Commits are synced to disk unless Open is given NoSync. A transaction's
// writes reach bbolt's tree in key order, at its commit or when one of its
// iterators moves, so that a batch of interleaved records and index
// entries costs what one sorted stream costs. An iterator
// opened in a transaction follows the transaction's later writes: each
// step continues after its current key as the data then stands.
//
// bbolt's rules show through in two places. An open view holds a read
// transaction, and bbolt cannot remap a growing file while one is open, so
// a write that outgrows the mapping (MmapSize) waits for every view: a
// goroutine must not hold a view while it calls Update once the file nears
// that size. And keys and values read through a view stay in the file's
// pages for the view's lifetime, which is why iterators copy nothing.
package bbolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/engine"
)

// Backend is a bbolt file behind the backend.Backend interface. Its methods
// are safe for concurrent use. bbolt runs one read-write transaction at a
// time, so Update never fails with backend.ErrConflict and runs its
// function exactly once.
type Backend struct {
	db     *bolt.DB
	path   string
	bucket []byte

	gate backend.Gate
	// writer is the single-writer slot, taken before bbolt's own lock so a
	// waiting Update can give up when its context ends.
	writer engine.Writer

	views engine.Views[*view] // open views, released by Close
}

var _ backend.Backend = (*Backend)(nil)

// Open opens the bbolt file at path, creating it and its bucket when
// missing. A file that is not a bbolt database, or is damaged beyond
// opening, is refused with an error wrapping backend.ErrCorrupt. Another
// Backend or process holding the file makes Open fail after Timeout.
func Open(path string, opts ...Option) (*Backend, error) {
	c := config{timeout: DefaultTimeout, bucket: DefaultBucket, mmapSize: DefaultMmapSize}
	for _, o := range opts {
		o(&c)
	}
	if c.bucket == "" {
		return nil, fmt.Errorf("bbolt: open %s: empty bucket name", path)
	}
	b := &Backend{
		path:   path,
		bucket: []byte(c.bucket),
		writer: engine.NewWriter(),
	}
	db, err := open(path, b.bucket, &bolt.Options{
		Timeout:         c.timeout,
		NoSync:          c.noSync,
		InitialMmapSize: c.mmapSize,
	})
	if err != nil {
		return nil, err
	}
	b.db = db
	return b, nil
}

// open is bolt.Open followed by the creation of bucket, turning a file
// bbolt cannot read into backend.ErrCorrupt. bbolt checks the meta pages
// at open but not the others, and panics when it meets a damaged one; such
// a panic becomes an error too. A panic in the bucket's creation leaves a
// DB to close. One inside bolt.Open (a damaged freelist page) leaves only
// the file handle kept by OpenFile: closing it is all that can be done, and
// bbolt's mapping of the file, which keeps the file locked, stays until
// the process exits.
func open(path string, bucket []byte, o *bolt.Options) (db *bolt.DB, err error) {
	var file *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer func() {
		if p := recover(); p != nil {
			// A panic in db.Update left no transaction open: bbolt rolls
			// back on panic.
			if db != nil {
				_ = db.Close()
			} else if file != nil {
				_ = file.Close()
			}
			db, err = nil, fmt.Errorf("bbolt: open %s: %w: %v", path, backend.ErrCorrupt, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, o)
	switch {
	case err == nil:
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, fmt.Errorf("bbolt: open %s: %w: %w", path, backend.ErrCorrupt, err)
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("bbolt: open %s: file is locked by another process or Backend: %w", path, err)
	default:
		return nil, fmt.Errorf("bbolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bbolt: open %s: bucket %q: %w", path, bucket, err)
	}
	return db, nil
}

// Get implements backend.Backend in a read transaction of its own. It
// allocates what bbolt allocates to begin a transaction, and nothing more
// when buf has room for the value.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	tx, err := b.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("bbolt: get: %w", err)
	}
	buf, err = get(tx.Bucket(b.bucket).Cursor(), key, buf)
	_ = tx.Rollback() // a read-only transaction has nothing to undo
	return buf, err
}

// get appends the value of key to buf, seeking it with c, a cursor of the
// bucket. bbolt's Get returns nil both for a missing key and, in a
// transaction that wrote it, for an empty value, so get seeks the key
// instead: one search, which says which.
func get(c *bolt.Cursor, key, buf []byte) ([]byte, error) {
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		return nil, backend.ErrNotFound
	}
	if buf == nil && len(v) == 0 {
		buf = []byte{} // present but empty: not nil, and not allocated
	}
	return append(buf, v...), nil
}

// View implements backend.Backend with a read-only bbolt transaction.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	tx, err := b.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("bbolt: view: %w", err)
	}
	v := &view{b: b, tx: tx, bucket: tx.Bucket(b.bucket)}
	b.views.Add(v)
	return v, nil
}

func (b *Backend) untrack(v *view) { b.views.Remove(v) }

// Update implements backend.Backend with bbolt's read-write transaction.
// It waits for the writer slot (giving up if ctx ends); a ctx that ends
// while fn runs rolls the transaction back. fn must not call Update or
// Close on the same Backend.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	if err := b.writer.Take(ctx); err != nil {
		return err
	}
	defer b.writer.Give()

	tx, err := b.db.Begin(true)
	if err != nil {
		return fmt.Errorf("bbolt: update: %w", err)
	}
	// end runs on return and while a panic unwinds, which rolls back an
	// uncommitted transaction; the panic then carries on to the caller.
	// The pending writes go back to the pool after that, when bbolt let go
	// of their bytes.
	p := pendingPool.Get().(*pending)
	defer p.release()
	bucket := tx.Bucket(b.bucket)
	t := &txn{tx: tx, bucket: bucket, pending: p}
	defer t.end()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.finish()
	if err := p.apply(bucket); err != nil {
		return err
	}
	bucket.FillPercent = p.fillPercent()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bbolt: commit: %w", err)
	}
	return nil
}

// Flush implements backend.Backend with an fdatasync of the file, which
// matters only with NoSync: otherwise every commit was synced already.
func (b *Backend) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	if err := b.db.Sync(); err != nil {
		return fmt.Errorf("bbolt: flush %s: %w", b.path, err)
	}
	return nil
}

// Path returns the directory/file the engine stores into.
func (b *Backend) Path() string { return b.path }

// Close implements backend.Backend. It waits for running calls, ends the
// views and iterators still open (their later calls return
// backend.ErrClosed) and closes the file; bbolt's own Close would otherwise
// wait for the views' transactions forever.
func (b *Backend) Close() error {
	if err := b.gate.Close(); err != nil {
		return err
	}
	var errs []error
	for _, v := range b.views.TakeAll() {
		errs = append(errs, v.release(backend.ErrClosed))
	}
	if err := b.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("bbolt: close %s: %w", b.path, err))
	}
	return errors.Join(errs...)
}
