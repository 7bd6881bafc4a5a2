package bbolt

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

// view is a backend.View on a read-only bbolt transaction. Its methods may
// be called from several goroutines, since reads of a read-only bbolt
// transaction share nothing mutable; Close waits for running Gets and for
// iterators that are moving their cursors.
type view struct {
	b *Backend
	// mu is held shared by readers and exclusively by release, so the
	// transaction is never rolled back under a running Get.
	mu     sync.RWMutex
	tx     *bolt.Tx
	bucket *bolt.Bucket
	done   error
	iters  cursor.Set
}

// Get implements backend.Reader.
func (v *view) Get(key, buf []byte) ([]byte, error) {
	if err := v.b.gate.Enter(); err != nil {
		return nil, err
	}
	defer v.b.gate.Exit()
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.done != nil {
		return nil, v.done
	}
	return get(v.bucket.Cursor(), key, buf)
}

// Range implements backend.Reader. Key and Value of the iterator point
// into the file's pages and stay unchanged until the view closes, though
// the contract promises them only until the next Next.
func (v *view) Range(lo, hi []byte, reverse bool) backend.Iterator {
	if err := v.b.gate.Enter(); err != nil {
		return cursor.Failed(err)
	}
	defer v.b.gate.Exit()
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.done != nil {
		return cursor.Failed(v.done)
	}
	return newIterator(&v.iters, v.bucket, nil, nil, lo, hi, reverse)
}

// Close implements backend.View. After the engine closed, the view is
// already released and Close returns nil.
func (v *view) Close() error {
	if v.b.gate.Enter() != nil {
		return nil
	}
	defer v.b.gate.Exit()
	err := v.release(backend.ErrTxDone)
	v.b.untrack(v)
	return err
}

// release ends the view and its iterators with reason and rolls its
// transaction back; only the first call does anything.
func (v *view) release(reason error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.done != nil {
		return nil
	}
	v.done = reason
	v.iters.RevokeAll(reason)
	if err := v.tx.Rollback(); err != nil {
		return fmt.Errorf("bbolt: close view: %w", err)
	}
	return nil
}
