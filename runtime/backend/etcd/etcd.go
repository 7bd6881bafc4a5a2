// Package etcd is the backend.Backend engine on an etcd v3 cluster, reached
// through go.etcd.io/etcd/client/v3. It owns the mapping of the interface
// onto etcd: keys under a prefix, views as reads at a fixed MVCC revision,
// transactions as optimistic etcd Txns with client-side write buffers, and
// the retries of lost races. Replication, durability and compaction are the
// cluster's.
//
// # Layout
//
// A Backend keeps each key k at prefix+k. The key equal to the prefix itself
// holds a marker naming the format; Open refuses a prefix that holds keys
// but no marker, or a marker of another kind, with backend.ErrCorrupt, so a
// Backend is never pointed at somebody else's keyspace by mistake. Every
// commit rewrites the marker, which makes its modification revision the
// revision of the Backend's latest commit.
//
// # Consistency
//
// Backend.Get and View are linearizable. A View records the cluster's
// revision when it is opened and reads every key at that revision, so it is
// a true snapshot for as long as the cluster keeps that revision: once the
// revision is compacted, the view's reads fail with ErrCompacted.
//
// Update is serializable and optimistic. The transaction's reads are served
// at one revision, fixed by its first read; its writes are buffered in the
// client and its reads see them. The commit is a single etcd Txn that
// applies the writes only if nothing the transaction read has changed:
//
//   - a transaction that read only single keys, at most 64 of them,
//     compares the modification revision of each (0 for a key that was
//     missing), so it conflicts only with writers of those keys;
//   - a transaction that read a range, or more keys, compares the marker's
//     modification revision, so it conflicts with any commit made through
//     a Backend on the same prefix since its reads;
//   - a transaction that wrote nothing commits nothing, and one that read
//     nothing compares nothing.
//
// A lost race reruns the transaction function, up to MaxAttempts times
// with a jittered backoff, then fails with backend.ErrConflict. The first
// attempts of a Backend's transactions run concurrently, but a rerun waits
// for those running and goes alone, so the transactions of one process that
// contend for the same keys take turns rather than defeat each other again
// and again; only writers elsewhere can make a rerun lose. Writes to
// the prefix by other etcd clients are seen by single-key comparisons but
// not by the marker's, so the prefix must belong to storegen.
//
// # Limits
//
// The server bounds one commit: --max-txn-ops (default 128) operations,
// one per written key plus one for the marker, and --max-request-bytes
// (default 1.5 MiB) bytes. Beyond them Update fails with ErrTxnTooLarge.
// The Backend does not split transactions itself, but it reports the
// limits (see ServerLimits and TxnLimits) and backend.Restore keeps to
// them; the storegen conformance suite commits up to 25,000 keys at once,
// so it needs servers started with larger limits. Reads are paged (up to
// 10,000 keys and about 4 MiB a request), so ranges of any size stream. A reverse range asks the server
// to sort each page, which costs it time in proportion to the rest of the
// range: prefer bounded reverse ranges over large ones.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/synapsed/storegen/runtime/backend"
)

// marker is the value of the key equal to the prefix: it says the prefix
// is a storegen keyspace, and in which layout.
const marker = "storegen etcd backend v1"

var nopLogger = zap.NewNop()

// Backend is an etcd cluster behind the backend.Backend interface. Its
// methods are safe for concurrent use, and any number of Backends, in any
// number of processes, may share a prefix.
type Backend struct {
	client    *clientv3.Client
	ownClient bool
	prefix    string
	// end is the etcd range end just past every key under prefix.
	end string

	timeout     time.Duration
	maxAttempts int
	onRoundTrip func(time.Duration, error)
	// txnKeys and txnBytes are what TxnLimits reports.
	txnKeys, txnBytes int

	gate backend.Gate
	// turns is taken with weight 1 by first attempts and whole by reruns;
	// it is FIFO, so a waiting rerun holds back later first attempts.
	turns *semaphore.Weighted
}

// alone is the weight of turns, taken whole by a rerun.
const alone = math.MaxInt32

var (
	_ backend.Backend    = (*Backend)(nil)
	_ backend.TxnLimiter = (*Backend)(nil)
)

// TxnLimits implements backend.TxnLimiter from the ServerLimits option: one
// commit takes an operation per written key plus one for the marker, and
// half the request size is left for keys' prefixes, the comparisons and
// the encoding.
func (b *Backend) TxnLimits() (keys, bytes int) { return b.txnKeys, b.txnBytes }

// Open connects to the cluster at endpoints (for example
// "http://127.0.0.1:2379") and claims the prefix: it writes the marker if
// the prefix is empty, and refuses, with an error wrapping
// backend.ErrCorrupt, a prefix holding keys without the marker. It fails if
// the cluster does not answer within ctx and the request timeout.
func Open(ctx context.Context, endpoints []string, opts ...Option) (*Backend, error) {
	c := defaults()
	for _, o := range opts {
		o(&c)
	}
	if c.prefix == "" {
		return nil, errors.New("etcd: open: the key prefix must not be empty")
	}
	b := &Backend{
		client:      c.client,
		prefix:      c.prefix,
		end:         rangeEnd(c.prefix),
		timeout:     c.timeout,
		maxAttempts: c.maxAttempts,
		onRoundTrip: c.onRoundTrip,
		turns:       semaphore.NewWeighted(alone),
		txnKeys:     c.maxTxnOps - 1,
		txnBytes:    c.maxReqBytes / 2,
	}
	if b.client == nil {
		cfg := c.clientConfig(endpoints)
		if len(cfg.Endpoints) == 0 {
			return nil, errors.New("etcd: open: no endpoints")
		}
		cli, err := clientv3.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("etcd: open %v: %w", cfg.Endpoints, err)
		}
		b.client, b.ownClient = cli, true
	}
	if err := b.claim(ctx); err != nil {
		if b.ownClient {
			_ = b.client.Close()
		}
		return nil, fmt.Errorf("etcd: open %v, prefix %q: %w", b.client.Endpoints(), b.prefix, err)
	}
	return b, nil
}

// claim checks the marker and writes it into an empty prefix. The first
// request reads the marker, or, when it is missing, whether the prefix
// holds anything at all; only a new prefix needs the second.
func (b *Backend) claim(ctx context.Context) error {
	missing := clientv3.Compare(clientv3.CreateRevision(b.prefix), "=", 0)
	resp, err := b.txn(ctx, []clientv3.Cmp{missing},
		[]clientv3.Op{clientv3.OpGet(b.dataStart(), clientv3.WithRange(b.end), clientv3.WithLimit(1), clientv3.WithKeysOnly())},
		[]clientv3.Op{clientv3.OpGet(b.prefix)})
	if err != nil {
		return err
	}
	got := resp.Responses[0].GetResponseRange().Kvs
	if !resp.Succeeded {
		return checkMarker(got[0].Value)
	}
	if len(got) > 0 {
		return fmt.Errorf("%w: the prefix holds keys (%q) but no storegen marker", backend.ErrCorrupt, truncate(got[0].Key))
	}
	resp, err = b.txn(ctx, []clientv3.Cmp{missing},
		[]clientv3.Op{clientv3.OpPut(b.prefix, marker)},
		[]clientv3.Op{clientv3.OpGet(b.prefix)})
	if err != nil || resp.Succeeded {
		return err
	}
	// Another Backend claimed the prefix between the two requests.
	return checkMarker(resp.Responses[0].GetResponseRange().Kvs[0].Value)
}

func checkMarker(v []byte) error {
	if string(v) != marker {
		return fmt.Errorf("%w: the prefix's own key holds %q, not a storegen marker", backend.ErrCorrupt, truncate(v))
	}
	return nil
}

func truncate(v []byte) []byte {
	if len(v) > 64 {
		return v[:64]
	}
	return v
}

// Prefix returns the key prefix the Backend keeps its data under.
func (b *Backend) Prefix() string { return b.prefix }

// Get implements backend.Backend with one linearizable read.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	return b.getValue(ctx, key, 0, buf)
}

// View implements backend.Backend. It costs one linearizable read, which
// fixes the view's revision; the view holds nothing on the server, but only
// lasts until the cluster compacts that revision. Reads through the view
// run under ctx, so they fail once ctx ends.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	resp, err := b.get(ctx, b.prefix, clientv3.WithCountOnly())
	if err != nil {
		return nil, fmt.Errorf("etcd: view: %w", err)
	}
	return &view{b: b, ctx: ctx, rev: resp.Header.Revision}, nil
}

// Update implements backend.Backend with an optimistic transaction, as the
// package documentation describes: fn runs once per attempt, at most
// MaxAttempts times, and Update returns an error wrapping
// backend.ErrConflict when every attempt lost its race. A ctx that ends
// while fn runs rolls the transaction back. When the commit request itself
// fails (a timeout, a lost connection), whether the cluster applied it is
// unknown, as with any remote store. fn must not call Close on the
// same Backend, which would wait for fn to return, and must not call
// Update on it, which may wait for fn's attempt to end.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	for attempt := 1; ; attempt++ {
		lost, err := b.attempt(ctx, fn, attempt > 1)
		if lost == nil {
			return err
		}
		if attempt >= b.maxAttempts {
			return fmt.Errorf("etcd: update: gave up after %d attempts: %w", attempt, lost)
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// attempt runs fn once and commits, alone among the Backend's attempts if
// rerun is set. It reports lost, wrapping backend.ErrConflict, when the
// attempt must be retried: its commit lost a race, or its reads met a
// compacted revision; otherwise err is Update's result.
func (b *Backend) attempt(ctx context.Context, fn func(backend.Txn) error, rerun bool) (lost, err error) {
	weight := int64(1)
	if rerun {
		weight = alone
	}
	if err := b.turns.Acquire(ctx, weight); err != nil {
		return nil, err
	}
	defer b.turns.Release(weight)
	t := newTxn(b, ctx)
	// end runs on return and while a panic unwinds: a leaked Txn fails.
	defer t.end()
	err = fn(t)
	if t.stale != nil {
		// fn decided on reads that failed; whatever it returned is moot.
		return t.stale, nil
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t.commit(ctx)
}

// backoff is the wait before attempt+1: doubling from 1 ms, capped at 50 ms,
// and drawn from the upper half of that so racing writers spread out.
func backoff(attempt int) time.Duration {
	const first, limit = time.Millisecond, 50 * time.Millisecond
	d := limit
	if attempt < 7 {
		d = min(first<<(attempt-1), limit)
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush implements backend.Backend. etcd makes a commit durable on a quorum
// before acknowledging it, so there is nothing to flush; Flush makes one
// linearizable read, which confirms that the cluster is reachable and has a
// leader.
func (b *Backend) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	if _, err := b.get(ctx, b.prefix, clientv3.WithCountOnly()); err != nil {
		return fmt.Errorf("etcd: flush: %w", err)
	}
	return nil
}

// Stats implements backend.Backend. Keys is exact, counted by the server
// from its in-memory index. DiskBytes is the size of the database file of
// the first member that answers, which holds the whole cluster's data, not
// only this prefix's. Figures holds the revision, raft_index, raft_term,
// db_size and db_size_in_use of that member. Stats costs two requests.
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) {
	if err := ctx.Err(); err != nil {
		return backend.Stats{}, err
	}
	if err := b.gate.Enter(); err != nil {
		return backend.Stats{}, err
	}
	defer b.gate.Exit()
	count, err := b.get(ctx, b.dataStart(), clientv3.WithRange(b.end), clientv3.WithCountOnly())
	if err != nil {
		return backend.Stats{}, fmt.Errorf("etcd: stats: %w", err)
	}
	st, err := b.status(ctx)
	if err != nil {
		return backend.Stats{}, fmt.Errorf("etcd: stats: %w", err)
	}
	return backend.Stats{
		Engine:    "etcd",
		Keys:      count.Count,
		DiskBytes: st.DbSize,
		Figures: map[string]int64{
			"revision":       count.Header.Revision,
			"raft_index":     int64(st.RaftIndex),
			"raft_term":      int64(st.RaftTerm),
			"db_size":        st.DbSize,
			"db_size_in_use": st.DbSizeInUse,
		},
	}, nil
}

// Close implements backend.Backend. It waits for running calls, after which
// every call, and every view and iterator still open, returns
// backend.ErrClosed; then it closes the client if Open created it.
func (b *Backend) Close() error {
	if err := b.gate.Close(); err != nil {
		return err
	}
	if !b.ownClient {
		return nil
	}
	if err := b.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("etcd: close: %w", err)
	}
	return nil
}

// dataStart is the first etcd key a user key can map to: keys are never
// empty, so prefix+"\x00" is the smallest, and the marker at prefix itself
// stays out of every range.
func (b *Backend) dataStart() string { return b.prefix + "\x00" }

// rangeEnd is the etcd range end just past every key starting with p; "\x00"
// is etcd's "to the end of the keyspace", for a prefix of 0xFF bytes only.
func rangeEnd(p string) string {
	if end := backend.PrefixEnd([]byte(p)); end != nil {
		return string(end)
	}
	return "\x00"
}

// appendValue appends a value that was read to the caller's buffer; a
// present empty value comes back as a non-nil empty slice.
func appendValue(buf, value []byte) []byte {
	if buf == nil && len(value) == 0 {
		return []byte{}
	}
	return append(buf, value...)
}

// getValue reads key at rev (0: the latest) and appends its value to buf.
func (b *Backend) getValue(ctx context.Context, key []byte, rev int64, buf []byte) ([]byte, error) {
	kv, _, err := b.getKey(ctx, key, rev)
	switch {
	case err != nil:
		return nil, err
	case kv == nil:
		return nil, backend.ErrNotFound
	}
	return appendValue(buf, kv.Value), nil
}

// getKey reads one user key at rev (0: the latest), returning nil for a
// missing key, and the revision the read was served at. An empty key maps
// to the marker and is never stored, so it is missing without a request.
func (b *Backend) getKey(ctx context.Context, key []byte, rev int64) (*mvccpb.KeyValue, int64, error) {
	if len(key) == 0 {
		return nil, rev, nil
	}
	opts := []clientv3.OpOption(nil)
	if rev != 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	resp, err := b.get(ctx, b.prefix+string(key), opts...)
	switch {
	case err != nil && rev != 0:
		return nil, 0, fmt.Errorf("etcd: get at revision %d: %w", rev, err)
	case err != nil:
		return nil, 0, fmt.Errorf("etcd: get: %w", err)
	case len(resp.Kvs) == 0:
		return nil, resp.Header.Revision, nil
	}
	return resp.Kvs[0], resp.Header.Revision, nil
}
