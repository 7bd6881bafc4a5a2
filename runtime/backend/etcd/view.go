package etcd

import (
	"context"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/synapsed/storegen/runtime/backend"
)

// view is a backend.View: reads at one revision. It holds nothing on the
// server, so closing it only marks it closed. Its methods may be called
// from several goroutines.
type view struct {
	b      *Backend
	ctx    context.Context
	rev    int64
	closed atomic.Bool
}

// Get implements backend.Reader.
func (v *view) Get(key, buf []byte) ([]byte, error) {
	if err := v.b.gate.Enter(); err != nil {
		return nil, err
	}
	defer v.b.gate.Exit()
	if v.closed.Load() {
		return nil, backend.ErrTxDone
	}
	return v.b.getValue(v.ctx, key, v.rev, buf)
}

// Range implements backend.Reader.
func (v *view) Range(lo, hi []byte, reverse bool) backend.Iterator {
	return newIterator(v, v.b, lo, hi, reverse, nil)
}

// Close implements backend.View.
func (v *view) Close() error {
	v.closed.Store(true)
	return nil
}

// valid implements source: a view ends with its engine or when closed.
func (v *view) valid() error {
	switch {
	case v.b.gate.Closed():
		return backend.ErrClosed
	case v.closed.Load():
		return backend.ErrTxDone
	}
	return nil
}

// read implements source.
func (v *view) read(start, end string, limit int64, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if err := v.b.gate.Enter(); err != nil {
		return nil, err
	}
	defer v.b.gate.Exit()
	if v.closed.Load() {
		return nil, backend.ErrTxDone
	}
	opts = append(opts, clientv3.WithRange(end), clientv3.WithLimit(limit), clientv3.WithRev(v.rev))
	return v.b.get(v.ctx, start, opts...)
}
