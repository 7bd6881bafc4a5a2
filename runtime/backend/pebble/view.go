package pebble

import (
	"errors"
	"fmt"
	"io"
	"sync"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

// view is a backend.View on a Pebble snapshot. Its methods may be called
// from several goroutines; Close waits for running Gets and for running
// Next calls of its iterators.
type view struct {
	b *Backend
	// mu is held shared by readers and exclusively by release, so the
	// snapshot is never closed under a running Get.
	mu    sync.RWMutex
	snap  *pebbledb.Snapshot
	done  error
	iters cursor.Set
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
	value, closer, err := v.snap.Get(key)
	return appendValue(buf, value, closer, err)
}

// Range implements backend.Reader.
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
	return newIterator(&v.iters, lo, hi, reverse, v.snap.NewIter)
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

// release ends the view and its iterators with reason; only the first call
// does anything.
func (v *view) release(reason error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.done != nil {
		return nil
	}
	v.done = reason
	err := errors.Join(v.iters.RevokeAll(reason), v.snap.Close())
	if err != nil {
		return fmt.Errorf("pebble: close view: %w", err)
	}
	return nil
}

// appendValue turns the results of a Pebble Get into an append to the
// caller's buffer, releasing Pebble's value as soon as it is copied. It
// allocates only when buf is too small. A present empty value
// comes back as a non-nil empty slice even when buf is nil.
func appendValue(buf, value []byte, closer io.Closer, err error) ([]byte, error) {
	if err != nil {
		if err == pebbledb.ErrNotFound || errors.Is(err, pebbledb.ErrNotFound) {
			return nil, backend.ErrNotFound
		}
		return nil, fmt.Errorf("pebble: get: %w", err)
	}
	if buf == nil && len(value) == 0 {
		buf = []byte{} // present but empty: not nil, and not allocated
	}
	buf = append(buf, value...)
	if err := closer.Close(); err != nil {
		return nil, fmt.Errorf("pebble: get: %w", err)
	}
	return buf, nil
}
