package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/synapsed/storegen/runtime/backend"
)

// formatMarker is the value of the prefix's meta key: it claims the prefix
// for this engine and names the layout (see scripts.go), so that Open
// refuses a prefix that holds something else.
const formatMarker = "storegen kv layout 1"

// Range batches: the first read of a range asks for firstBatch keys, each
// later one for twice as many, up to maxBatch.
const (
	firstBatch = 32
	maxBatch   = 1024
)

// Backend is a Redis-backed backend.Backend. Its methods are safe for
// concurrent use.
type Backend struct {
	client *goredis.Client
	name   string // the server address and prefix, for messages
	prefix string
	root   string // prefix + "storegen:", the start of every key used
	data   string // the hash of values

	maxAttempts          int
	retention            time.Duration
	firstBatch, maxBatch int
	onRoundTrip          func(time.Duration, error)

	gate backend.Gate
	// writer makes the Updates of one Backend take turns, so that they do
	// not make each other retry: a channel rather than a mutex so a waiting
	// Update can give up when its context ends.
	writer chan struct{}
}

var _ backend.Backend = (*Backend)(nil)

// Open connects to the Redis server that opts describes (go-redis's
// defaults when opts is nil) and claims the key prefix for this engine. A
// prefix already holding something other than this engine's data is
// refused with an error wrapping backend.ErrCorrupt. The Backend owns the
// client it creates and closes it in Close. Client-side caching is turned
// off whatever opts say, since cached reads could miss commits. ctx bounds
// only the opening.
func Open(ctx context.Context, opts *goredis.Options, options ...Option) (*Backend, error) {
	c := config{maxAttempts: DefaultMaxAttempts, retention: DefaultUndoRetention}
	for _, o := range options {
		o(&c)
	}
	var o goredis.Options
	if opts != nil {
		o = *opts
	}
	o.ClientSideCache, o.ClientSideCacheConfig = nil, nil
	b := &Backend{
		client:      goredis.NewClient(&o),
		prefix:      c.prefix,
		root:        c.prefix + "storegen:",
		maxAttempts: c.maxAttempts,
		retention:   c.retention,
		firstBatch:  firstBatch,
		maxBatch:    maxBatch,
		onRoundTrip: c.onRoundTrip,
		writer:      make(chan struct{}, 1),
	}
	b.data = b.root + "data"
	b.name = b.client.Options().Addr
	if c.prefix != "" {
		b.name += fmt.Sprintf(" prefix %q", c.prefix)
	}
	if err := b.claim(ctx); err != nil {
		_ = b.client.Close()
		return nil, err
	}
	if err := b.loadScripts(ctx); err != nil {
		_ = b.client.Close()
		return nil, err
	}
	return b, nil
}

// loadScripts has the server cache the scripts, so that their first runs
// need no second round trip to send the source. (A server restarted or
// told SCRIPT FLUSH loses them; go-redis then sends the source again.)
func (b *Backend) loadScripts(ctx context.Context) error {
	start := b.now()
	_, err := b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, src := range []string{commitLua, getLua, rangeLua} {
			p.ScriptLoad(ctx, src)
		}
		return nil
	})
	b.roundTrip(start, err)
	if err != nil {
		return fmt.Errorf("redis: open %s: load scripts: %w", b.name, err)
	}
	return nil
}

// claim marks the prefix as this engine's, or checks that it already is.
func (b *Backend) claim(ctx context.Context) error {
	meta := b.root + "meta"
	start := b.now()
	old, err := b.client.Do(ctx, "SET", meta, formatMarker, "NX", "GET").Text()
	b.roundTrip(start, err)
	switch {
	case err == goredis.Nil:
		return nil // a new prefix, now claimed
	case goredis.HasErrorPrefix(err, "WRONGTYPE"):
		return fmt.Errorf("redis: open %s: %w: key %q is not a string, so the prefix holds other data",
			b.name, backend.ErrCorrupt, meta)
	case err != nil:
		return fmt.Errorf("redis: open %s: %w", b.name, err)
	case old != formatMarker:
		if len(old) > 64 {
			old = old[:64] + "…"
		}
		return fmt.Errorf("redis: open %s: %w: key %q holds %q, not %q, so the prefix holds other data",
			b.name, backend.ErrCorrupt, meta, old, formatMarker)
	}
	return nil
}

// fail turns an error from the client into the one to report: the
// context's error if the call failed because ctx ended.
func (b *Backend) fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return fmt.Errorf("redis: %s on %s: %w", op, b.name, err)
}

// Get implements backend.Backend with one HGET, which sees every commit
// that preceded it.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	start := b.now()
	v, err := b.client.HGet(ctx, b.data, string(key)).Result()
	b.roundTrip(start, err)
	switch {
	case err == goredis.Nil:
		return nil, backend.ErrNotFound
	case err != nil:
		return nil, b.fail(ctx, "get", err)
	case buf == nil && v == "":
		return []byte{}, nil // present but empty: not nil
	}
	return append(buf, v...), nil
}

// version reads the number of the last commit.
func (b *Backend) version(ctx context.Context) (int64, error) {
	start := b.now()
	n, err := b.client.Get(ctx, b.root+"version").Int64()
	b.roundTrip(start, err)
	switch {
	case err == goredis.Nil:
		return 0, nil
	case err != nil:
		return 0, b.fail(ctx, "read version", err)
	}
	return n, nil
}

// View implements backend.Backend. Opening a view costs one round trip and
// holds nothing on the server; see the package comment for how long it can
// read.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	at, err := b.version(ctx)
	if err != nil {
		return nil, err
	}
	return &view{snap: snapshot{b: b, at: at}}, nil
}

// Update implements backend.Backend, retrying lost races as the package
// comment describes; fn runs once per attempt. It waits for the Backend's
// other Updates (giving up if ctx ends). The transaction's reads run under
// ctx. If the commit's reply is lost to a network failure, Update returns
// that error and the transaction may or may not have been applied. fn must
// not call Update or Close on the same Backend.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	select {
	case b.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.writer }()

	step := minBackoff
	for attempt := 1; ; attempt++ {
		retry, err := b.attempt(ctx, fn)
		if !retry {
			return err
		}
		if attempt == b.maxAttempts {
			return fmt.Errorf("redis: update gave up after %d attempts: %w", attempt, err)
		}
		wait := step/2 + rand.N(step/2+1)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		step = min(2*step, maxBackoff)
	}
}

// attempt runs fn once and commits its writes. retry reports a lost race,
// with err wrapping backend.ErrConflict: another commit came first, or a
// read found its snapshot gone (then fn's error is what fn made of it).
func (b *Backend) attempt(ctx context.Context, fn func(backend.Txn) error) (retry bool, err error) {
	at, err := b.version(ctx)
	if err != nil {
		return false, err
	}
	t := newTxn(ctx, snapshot{b: b, at: at})
	defer t.end()
	if err := fn(t); err != nil {
		return t.lost, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	t.end()
	return t.commit()
}

// Flush implements backend.Backend. Durability is the server's: Flush asks
// it with WAITAOF (Redis 7.2 or later) to have written and synced its
// append-only file up to this point. With persistence off, or on an older
// server, nothing more can be asked for, and Flush only confirms that the
// server is there.
func (b *Backend) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	start := b.now()
	err := b.client.Do(ctx, "WAITAOF", 1, 0, 0).Err()
	if goredis.HasErrorPrefix(err, "unknown command") || goredis.HasErrorPrefix(err, "WAITAOF cannot be used") {
		err = b.client.Ping(ctx).Err()
	}
	b.roundTrip(start, err)
	if err != nil {
		return b.fail(ctx, "flush", err)
	}
	return nil
}

// Close implements backend.Backend. It waits for running calls and closes
// the client; views and iterators still open then return backend.ErrClosed.
// The data stays on the server.
func (b *Backend) Close() error {
	if err := b.gate.Close(); err != nil {
		return err
	}
	if err := b.client.Close(); err != nil {
		return fmt.Errorf("redis: close %s: %w", b.name, err)
	}
	return nil
}

// now returns the time a round trip starts, when OnRoundTrip wants it.
func (b *Backend) now() time.Time {
	if b.onRoundTrip == nil {
		return time.Time{}
	}
	return time.Now()
}

// roundTrip reports an exchange with the server that began at start to the
// OnRoundTrip function, if there is one. A missing key is not an error.
func (b *Backend) roundTrip(start time.Time, err error) {
	if b.onRoundTrip == nil {
		return
	}
	if err == goredis.Nil {
		err = nil
	}
	b.onRoundTrip(time.Since(start), err)
}
