package redis

import (
	"context"
	"sync/atomic"

	"github.com/synapsed/storegen/runtime/backend"
)

// view is a backend.View: a snapshot and whether it was closed. It holds
// nothing on the server, so closing it only stops its use. Its reads run
// under the engine's gate, so Close of the engine waits for them, and
// without a context: the client's timeouts bound them.
type view struct {
	snap   snapshot
	closed atomic.Bool
}

func (v *view) acquire() error {
	if err := v.snap.b.gate.Enter(); err != nil {
		return err
	}
	if v.closed.Load() {
		v.snap.b.gate.Exit()
		return backend.ErrTxDone
	}
	return nil
}

func (v *view) release() { v.snap.b.gate.Exit() }

func (v *view) state() error {
	switch {
	case v.snap.b.gate.Closed():
		return backend.ErrClosed
	case v.closed.Load():
		return backend.ErrTxDone
	}
	return nil
}

func (v *view) observe(error) {}

// Get implements backend.Reader.
func (v *view) Get(key, buf []byte) ([]byte, error) {
	if err := v.acquire(); err != nil {
		return nil, err
	}
	defer v.release()
	return v.snap.get(context.Background(), key, buf)
}

// Range implements backend.Reader.
func (v *view) Range(lo, hi []byte, reverse bool) backend.Iterator {
	if err := v.state(); err != nil {
		return failed(err)
	}
	return newIterator(v, newScanner(v.snap, context.Background(), lo, hi, reverse), reverse, nil)
}

// Close implements backend.View.
func (v *view) Close() error {
	v.closed.Store(true)
	return nil
}
