package etcd

import (
	"context"
	"errors"
	"fmt"
	"iter"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/synapsed/storegen/runtime/backend"
)

var _ backend.Feed = (*Backend)(nil)

// Revision implements backend.Feed with one linearizable read.
func (b *Backend) Revision(ctx context.Context) (int64, error) {
	if err := b.gate.Enter(); err != nil {
		return 0, err
	}
	defer b.gate.Exit()
	resp, err := b.get(ctx, b.prefix, clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("etcd: revision: %w", err)
	}
	return resp.Header.Revision, nil
}

// ViewAt implements backend.Feed. Like View, the view holds nothing on the
// server; its reads fail with ErrCompacted once rev is compacted.
func (b *Backend) ViewAt(ctx context.Context, rev int64) (backend.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	if rev < 1 {
		return nil, fmt.Errorf("etcd: view at revision %d: revisions start at 1", rev)
	}
	return &view{b: b, ctx: ctx, rev: rev}, nil
}

// Changes implements backend.Feed on an etcd watch of the Backend's
// prefix, with previous values. The client resumes a broken watch on its
// own, from the revision after the last one delivered; while its members
// are unreachable Changes simply yields nothing. Close of the Backend ends
// it with ErrClosed when the Backend owns its client; otherwise cancel ctx.
func (b *Backend) Changes(ctx context.Context, after int64) iter.Seq2[backend.ChangeSet, error] {
	return func(yield func(backend.ChangeSet, error) bool) {
		if b.gate.Closed() {
			yield(backend.ChangeSet{}, backend.ErrClosed)
			return
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		wch := b.client.Watch(wctx, b.dataStart(), clientv3.WithRange(b.end), clientv3.WithRev(after+1), clientv3.WithPrevKV())
		for resp := range wch {
			if resp.CompactRevision != 0 {
				yield(backend.ChangeSet{}, fmt.Errorf("etcd: changes after revision %d: %w (kept from revision %d)",
					after, backend.ErrCompacted, resp.CompactRevision))
				return
			}
			if err := resp.Err(); err != nil {
				yield(backend.ChangeSet{}, fmt.Errorf("etcd: changes after revision %d: %w", after, translate(err)))
				return
			}
			evs := resp.Events
			for len(evs) > 0 {
				rev := evs[0].Kv.ModRevision
				n := 1
				for n < len(evs) && evs[n].Kv.ModRevision == rev {
					n++
				}
				cs := backend.ChangeSet{Rev: rev, Changes: make([]backend.Change, n)}
				for i, ev := range evs[:n] {
					c := &cs.Changes[i]
					c.Key = ev.Kv.Key[len(b.prefix):]
					if ev.Type == clientv3.EventTypeDelete {
						c.Deleted = true
					} else {
						c.Value = appendValue(nil, ev.Kv.Value)
					}
					if ev.PrevKv != nil {
						c.Prev = appendValue(nil, ev.PrevKv.Value)
					}
				}
				if !yield(cs, nil) {
					return
				}
				after, evs = rev, evs[n:]
			}
		}
		switch {
		case ctx.Err() != nil:
			yield(backend.ChangeSet{}, ctx.Err())
		case b.gate.Closed():
			yield(backend.ChangeSet{}, backend.ErrClosed)
		default:
			yield(backend.ChangeSet{}, fmt.Errorf("etcd: changes after revision %d: %w", after, errors.New("watch ended")))
		}
	}
}
