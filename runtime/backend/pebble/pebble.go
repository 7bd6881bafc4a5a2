// Package pebble is the backend.Backend engine on CockroachDB's Pebble, an
// LSM key-value store in a directory of files. It owns the mapping of views
// to Pebble snapshots, of transactions to batches committed by a single
// writer, and the bookkeeping that keeps use after Close from reaching a
// closed database; storage, durability and caching are Pebble's.
//
// Commits are synced to disk unless Open is given NoSync. The block cache
// is DefaultCacheSize unless CacheSize says otherwise. An iterator opened
// in a transaction sees the transaction's writes made before it opened,
// not later ones.
package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	pebbledb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/engine"
)

// Backend is a Pebble database behind the backend.Backend interface. Its
// methods are safe for concurrent use. Update runs one transaction at a time:
// transactions are serialised by a writer slot rather than by conflict
// detection, so they never fail with backend.ErrConflict and their functions
// run exactly once.
type Backend struct {
	db  *pebbledb.DB
	dir string
	// commit is the sync setting of every commit. walOff is set when
	// Options disabled the write-ahead log, which Flush then cannot sync.
	commit *pebbledb.WriteOptions
	walOff bool

	gate backend.Gate
	// writer is the single-writer slot: a channel rather than a mutex so a
	// waiting Update can give up when its context ends.
	writer engine.Writer

	views engine.Views[*view] // open views, released by Close
}

var _ backend.Backend = (*Backend)(nil)

// Open opens the Pebble database in dir, creating dir and an empty database
// when dir is missing or empty. A dir that is a file, or a non-empty
// directory holding no Pebble files, is refused with an error wrapping
// backend.ErrCorrupt rather than filled with new files; so are Pebble files
// too damaged to open.
func Open(dir string, opts ...Option) (*Backend, error) {
	c := config{sync: true, cacheSize: DefaultCacheSize}
	for _, o := range opts {
		o(&c)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	po := c.pebbleOptions()
	db, err := pebbledb.Open(dir, po)
	if err != nil {
		if pebbledb.IsCorruptionError(err) {
			return nil, fmt.Errorf("pebble: open %s: %w: %w", dir, backend.ErrCorrupt, err)
		}
		return nil, fmt.Errorf("pebble: open %s: %w", dir, err)
	}
	b := &Backend{
		db:     db,
		dir:    dir,
		commit: pebbledb.NoSync,
		walOff: po.DisableWAL,
		writer: engine.NewWriter(),
	}
	if c.sync && !po.DisableWAL {
		b.commit = pebbledb.Sync
	}
	return b, nil
}

// checkDir refuses a dir that exists but cannot hold a Pebble database of
// ours. A directory counts as Pebble's when it holds any file Pebble names
// (even a half-created database, which Pebble then completes or rejects).
func checkDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("pebble: open %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("pebble: open %s: %w: not a directory", dir, backend.ErrCorrupt)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pebble: open %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if isPebbleFile(e.Name()) {
			if _, err := pebbledb.Peek(dir, vfs.Default); err != nil {
				return fmt.Errorf("pebble: open %s: %w: %w", dir, backend.ErrCorrupt, err)
			}
			return nil
		}
	}
	return fmt.Errorf("pebble: open %s: %w: directory is not empty and holds no Pebble database", dir, backend.ErrCorrupt)
}

// isPebbleFile reports whether name is one Pebble writes in its directory.
func isPebbleFile(name string) bool {
	for _, p := range []string{"LOCK", "CURRENT", "MANIFEST-", "OPTIONS-", "marker."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".log") || strings.HasSuffix(name, ".blob")
}

// Get implements backend.Backend. It allocates only what Pebble allocates,
// and nothing when buf has room for the value.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	value, closer, err := b.db.Get(key)
	return appendValue(buf, value, closer, err)
}

// View implements backend.Backend with a Pebble snapshot. An open view
// keeps Pebble from discarding the versions it sees, so long-lived views
// hold disk space.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	v := &view{b: b, snap: b.db.NewSnapshot()}
	b.views.Add(v)
	return v, nil
}

func (b *Backend) untrack(v *view) { b.views.Remove(v) }

// Update implements backend.Backend. It waits for the writer slot (giving
// up if ctx ends), runs fn on a batch and commits the batch with
// the sync setting of Open. A ctx that ends while fn runs rolls the
// transaction back. fn must not call Update or Close on the same Backend.
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

	// end runs on return and while a panic unwinds, which rolls back an
	// uncommitted batch; the panic then carries on to the caller.
	t := &txn{db: b.db, batch: b.db.NewBatch()}
	defer t.end()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.finish()
	if err := t.batch.Commit(b.commit); err != nil {
		return fmt.Errorf("pebble: commit: %w", err)
	}
	return nil
}

// Flush implements backend.Backend by syncing the write-ahead log, which
// holds every committed transaction; with the log disabled through Options
// it flushes the memtable to a table file instead.
func (b *Backend) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	var err error
	if b.walOff {
		err = b.db.Flush()
	} else {
		err = b.db.LogData(nil, pebbledb.Sync)
	}
	if err != nil {
		return fmt.Errorf("pebble: flush %s: %w", b.dir, err)
	}
	return nil
}

// Compact rewrites every key into Pebble's lowest level holding data,
// flushing the memtable first, and returns when that is done. Reads then
// look in as few files as possible, so it suits the end of a bulk load,
// which leaves its data in level 0; Pebble otherwise compacts on its own
// as writes come.
func (b *Backend) Compact(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	first, last, err := b.bounds()
	if err != nil || first == nil {
		return err
	}
	if err := b.db.Compact(ctx, first, append(last, 0), true); err != nil {
		return fmt.Errorf("pebble: compact %s: %w", b.dir, err)
	}
	return nil
}

// bounds returns the first and last keys stored, or nils when there are
// none.
func (b *Backend) bounds() (first, last []byte, err error) {
	it, err := b.db.NewIter(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("pebble: compact %s: %w", b.dir, err)
	}
	if it.First() {
		first = bytes.Clone(it.Key())
		if it.Last() {
			last = bytes.Clone(it.Key())
		}
	}
	if err := it.Close(); err != nil {
		return nil, nil, fmt.Errorf("pebble: compact %s: %w", b.dir, err)
	}
	return first, last, nil
}

// Path returns the directory/file the engine stores into.
func (b *Backend) Path() string { return b.dir }

// Close implements backend.Backend. It waits for running calls, ends the
// views and iterators still open (their later calls return
// backend.ErrClosed) and closes the database.
func (b *Backend) Close() error {
	if err := b.gate.Close(); err != nil {
		return err
	}
	var errs []error
	for _, v := range b.views.TakeAll() {
		errs = append(errs, v.release(backend.ErrClosed))
	}
	if err := b.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("pebble: close %s: %w", b.dir, err))
	}
	return errors.Join(errs...)
}
