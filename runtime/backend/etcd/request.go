package etcd

import (
	"context"
	"errors"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The requests a Backend makes. Each runs under the request timeout, is
// reported to OnRoundTrip, and has its error translated to this package's
// sentinels.

func (b *Backend) get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, done := b.request(ctx)
	resp, err := b.client.Get(ctx, key, opts...)
	return resp, done(err)
}

func (b *Backend) txn(ctx context.Context, cmps []clientv3.Cmp, then, els []clientv3.Op) (*clientv3.TxnResponse, error) {
	ctx, done := b.request(ctx)
	resp, err := b.client.Txn(ctx).If(cmps...).Then(then...).Else(els...).Commit()
	return resp, done(err)
}

// status asks the client's endpoints in turn for their status and returns
// the first answer.
func (b *Backend) status(ctx context.Context) (*clientv3.StatusResponse, error) {
	var errs []error
	for _, ep := range b.client.Endpoints() {
		rctx, done := b.request(ctx)
		st, err := b.client.Status(rctx, ep)
		if err = done(err); err == nil {
			return st, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// request starts one request: it returns the context to make it under and
// the function to call with its error when it returns.
func (b *Backend) request(ctx context.Context) (context.Context, func(error) error) {
	cancel := context.CancelFunc(func() {})
	if b.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
	}
	start := time.Now()
	return ctx, func(err error) error {
		cancel()
		if b.onRoundTrip != nil {
			b.onRoundTrip(time.Since(start), err)
		}
		return translate(err)
	}
}
