package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/synapsed/storegen/runtime/backend"
)

// ErrResync is the Err of the subscriptions a DB following a change feed
// (WithFeed) ended because the feed lost changes it could not replay: the
// engine compacted its history past the DB's last revision while the DB
// could not read it. The error also wraps backend.ErrCompacted. Nothing
// after it is delivered silently out of order: to carry on, watch again
// with Existing(), which delivers the current records and then live
// changes with no gap.
var ErrResync = errors.New("storegen: change feed lost history; watch again with Existing() to resync")

// WithFeed makes the DB take its stores' change events from the backend's
// change feed (backend.Feed, which etcd implements) instead of from its own
// commits. Every DB on the same data then sees every commit, its own and
// other processes', exactly once and in the engine's commit order: Event
// TxID is the engine's revision of the commit, and Seq numbers the changes
// to the stores opened on this DB in the order it received them. Events
// arrive once the engine reports the commit, a little after Update
// returns. Open fails if the backend is not a backend.Feed; a cache layer
// must not sit between them, since it would not see other writers.
//
// The feed starts at the revision current when Open runs. If the engine
// becomes unreachable the DB waits, and resumes from its last revision
// when it can; if the engine compacted that revision away meanwhile, the
// stores' subscriptions end with ErrResync.
func WithFeed() Option { return func(db *DB) { db.useFeed = true } }

// feedState is a DB's part of following a feed.
type feedState struct {
	f      backend.Feed
	rev    int64 // last revision dispatched; guarded by commitMu
	cancel context.CancelFunc
	done   chan struct{}
	// retry is the pause before following again after an error.
	retry time.Duration
}

// startFeed checks the backend and reads its current revision; the
// function it returns starts following the feed from there.
func (db *DB) startFeed() (func(), error) {
	f, ok := db.b.(backend.Feed)
	if !ok {
		return nil, fmt.Errorf("storegen: Open: WithFeed: the backend (%T) has no change feed", db.b)
	}
	rev, err := f.Revision(context.Background())
	if err != nil {
		return nil, fmt.Errorf("storegen: Open: WithFeed: %w", mapBackendErr(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	db.feed = &feedState{f: f, rev: rev, cancel: cancel, done: make(chan struct{}), retry: 100 * time.Millisecond}
	return func() { go db.follow(ctx) }, nil
}

// stopFeed ends the goroutine following the feed; Close calls it first.
func (db *DB) stopFeed() {
	if db.feed != nil {
		db.feed.cancel()
		<-db.feed.done
	}
}

// follow dispatches the feed's commits until ctx ends, resuming after
// errors from the last revision dispatched.
func (db *DB) follow(ctx context.Context) {
	fs := db.feed
	defer close(fs.done)
	for {
		db.commitMu.Lock()
		after := fs.rev
		db.commitMu.Unlock()
		for cs, err := range fs.f.Changes(ctx, after) {
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, backend.ErrClosed) {
					return
				}
				if errors.Is(err, backend.ErrCompacted) {
					db.resync(ctx, err)
				}
				break
			}
			db.dispatch(cs)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(fs.retry):
		}
	}
}

// dispatch publishes one commit's changes to the stores opened on the DB.
func (db *DB) dispatch(cs backend.ChangeSet) {
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	now := db.clock()
	for i := range cs.Changes {
		c := &cs.Changes[i]
		cut := bytes.IndexByte(c.Key, valueTag)
		if cut <= 0 || bytes.IndexByte(c.Key[:cut], indexTag) >= 0 {
			continue // an index entry, or not a store's key
		}
		db.mu.Lock()
		ks := db.keyspaces[string(c.Key[:cut])]
		db.mu.Unlock()
		if ks == nil {
			continue
		}
		ks.mu.Lock()
		fn := ks.feed
		ks.mu.Unlock()
		if fn == nil {
			continue
		}
		db.seq++
		if err := fn(c, db.seq, uint64(cs.Rev), now); err != nil {
			db.endStore(ks, err)
		}
	}
	db.feed.rev = cs.Rev
}

// resync handles a feed that lost history: the stores' subscriptions end
// with ErrResync and the DB follows on from the engine's current revision.
func (db *DB) resync(ctx context.Context, cause error) {
	rev, err := db.feed.f.Revision(ctx)
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	db.endStore(nil, fmt.Errorf("%w: %w", ErrResync, cause))
	if err == nil {
		db.feed.rev = rev
	}
}

// endStore ends the subscriptions to the changes of ks (of every store,
// if ks is nil) with err.
func (db *DB) endStore(ks *keyspace, err error) {
	db.endSubscriptions(func(h *subscriptionHandle) bool {
		return h.store != nil && (ks == nil || h.store == ks)
	}, err)
}

// feedChange turns one change of the feed into an event of t and emits it.
// Only changes to stored records reach it (key name 0x00 key).
func (t *Table[K, V]) feedChange(c *backend.Change, seq, txID uint64, now time.Time) error {
	if !t.conduit.Subscribed() {
		return nil
	}
	e := Event[K, V]{Seq: seq, TxID: txID, Time: now}
	switch {
	case c.Deleted:
		e.Kind = Deleted
	case c.Prev == nil:
		e.Kind = Created
	default:
		e.Kind = Updated
	}
	if c.Prev != nil {
		if err := t.decode(c.Prev, &e.Old); err != nil {
			return &OpError{Store: t.s.Name, Op: "Watch", Key: t.rawKey(c.Key[len(t.valuePrefix):]), Err: err}
		}
		e.Key = t.s.KeyOf(&e.Old)
	}
	if !c.Deleted {
		if err := t.decode(c.Value, &e.New); err != nil {
			return &OpError{Store: t.s.Name, Op: "Watch", Key: t.rawKey(c.Key[len(t.valuePrefix):]), Err: err}
		}
		e.Key = t.s.KeyOf(&e.New)
	} else if c.Prev == nil {
		// The engine no longer has the deleted record, so neither its key
		// nor its value can be told.
		return &OpError{Store: t.s.Name, Op: "Watch", Key: t.rawKey(c.Key[len(t.valuePrefix):]),
			Err: fmt.Errorf("%w: a deletion came without the deleted record", ErrResync)}
	}
	t.events.Emit(e)
	return nil
}
