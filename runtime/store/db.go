// Package store is the runtime that generated stores call: the DB that owns
// a backend, transactions, typed keyspaces with their index upkeep, and the
// errors callers branch on. Generated code supplies only typing, key
// encoding, codecs and index definitions (a Schema); everything a store does
// with them lives here once.
//
// The package depends on the backend interface, never on a concrete engine.
package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/synapsed/storegen/runtime/backend"
)

// DB is a set of typed stores over one backend. It is safe for concurrent
// use. Close it to release the backend.
type DB struct {
	b      backend.Backend
	name   string
	clock  func() time.Time
	txSeq  atomic.Uint64
	closed atomic.Bool

	mu        sync.Mutex
	keyspaces map[string]*keyspace

	scratch sync.Pool // *scratch
}

// keyspace is what the DB knows of a registered store, whatever its types.
type keyspace struct {
	name string
}

// Option configures Open.
type Option func(*DB)

// WithName names the DB in errors, events and metrics (default "db").
func WithName(name string) Option { return func(db *DB) { db.name = name } }

// WithClock sets the clock that stamps events (default time.Now).
func WithClock(now func() time.Time) Option { return func(db *DB) { db.clock = now } }

// Open returns a DB over b. The DB owns b from now on: DB.Close closes it.
func Open(b backend.Backend, opts ...Option) (*DB, error) {
	if b == nil {
		return nil, fmt.Errorf("storegen: Open: nil backend")
	}
	db := &DB{
		b:         b,
		name:      "db",
		clock:     time.Now,
		keyspaces: make(map[string]*keyspace),
	}
	db.scratch.New = func() any { return new(scratch) }
	for _, o := range opts {
		o(db)
	}
	return db, nil
}

// Name returns the DB's name.
func (db *DB) Name() string { return db.name }

// Backend returns the backend the DB stores into.
func (db *DB) Backend() backend.Backend { return db.b }

// Close closes the backend. Later calls on the DB or its stores return an
// error matching ErrClosed. Closing twice returns ErrClosed.
func (db *DB) Close() error {
	if !db.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	return mapBackendErr(db.b.Close())
}

// Update runs fn in an atomic, serializable read-write transaction. The
// transaction commits when fn returns nil; when fn returns an error or
// panics nothing it wrote is kept (a panic is re-raised). Backends that
// detect conflicts optimistically may run fn more than once, so fn must not
// have effects outside tx.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	err := db.b.Update(ctx, func(bt backend.Txn) error {
		tx := &Tx{db: db, ctx: ctx, r: bt, w: bt, id: db.txSeq.Add(1)}
		defer tx.end()
		return fn(tx)
	})
	return mapBackendErr(err)
}

// View runs fn in a read-only transaction over a consistent snapshot: every
// read in fn sees the same committed state.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	v, err := db.b.View(ctx)
	if err != nil {
		return mapBackendErr(err)
	}
	defer v.Close()
	tx := &Tx{db: db, ctx: ctx, r: v}
	defer tx.end()
	return mapBackendErr(fn(tx))
}

// register records a store's keyspace. Opening the same store twice on one
// DB is allowed and shares the keyspace.
func (db *DB) register(name string) *keyspace {
	db.mu.Lock()
	defer db.mu.Unlock()
	if ks, ok := db.keyspaces[name]; ok {
		return ks
	}
	ks := &keyspace{name: name}
	db.keyspaces[name] = ks
	return ks
}

// Stores returns the names of the stores opened on the DB, in no order.
func (db *DB) Stores() []string {
	db.mu.Lock()
	defer db.mu.Unlock()
	names := make([]string, 0, len(db.keyspaces))
	for n := range db.keyspaces {
		names = append(names, n)
	}
	return names
}

// scratch holds buffers reused across operations to keep the hot paths
// free of allocations.
type scratch struct {
	key, val, aux, idx []byte
}

func (db *DB) getScratch() *scratch { return db.scratch.Get().(*scratch) }

func (db *DB) putScratch(s *scratch) {
	// Don't let one huge value pin memory in the pool forever.
	if cap(s.val) > 1<<20 {
		s.val = nil
	}
	db.scratch.Put(s)
}
