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
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/substrates"
)

// DB is a set of typed stores over one backend. It is safe for concurrent
// use. Close it to release the backend.
type DB struct {
	b      backend.Backend
	name   string
	clock  func() time.Time
	txSeq  atomic.Uint64
	closed atomic.Bool

	// commitMu serializes write transactions with each other and with the
	// start of watches, so that Seq follows commit order and a watch starts
	// exactly between two commits. The engines we embed admit one writer at
	// a time anyway.
	commitMu sync.Mutex
	seq      uint64 // last published Seq; guarded by commitMu

	cortex  *substrates.Cortex
	circuit *substrates.Circuit
	streams streams

	mu        sync.Mutex
	keyspaces map[string]*keyspace
	subs      map[*subscriptionHandle]struct{}

	scratch  sync.Pool // *scratch
	txStates sync.Pool // *txState
}

// keyspace is what the DB knows of a registered store, whatever its types.
// Tables opened on the same name share it.
type keyspace struct {
	name string

	mu      sync.Mutex
	conduit any // *substrates.Conduit[Event[K, V]] of the store's types
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
		subs:      make(map[*subscriptionHandle]struct{}),
	}
	db.scratch.New = func() any { return new(scratch) }
	db.txStates.New = func() any { return new(txState) }
	for _, o := range opts {
		o(db)
	}
	db.cortex = substrates.NewCortex()
	db.circuit = db.cortex.Circuit("storegen." + db.name)
	db.streams = newStreams(db.circuit)
	return db, nil
}

// Name returns the DB's name.
func (db *DB) Name() string { return db.name }

// Backend returns the backend the DB stores into.
func (db *DB) Backend() backend.Backend { return db.b }

// Circuit returns the DB's event circuit: every store's change events, and
// the DB's operation and transaction events, flow through it in one order.
func (db *DB) Circuit() *substrates.Circuit { return db.circuit }

// LastSeq returns the Seq of the last published change.
func (db *DB) LastSeq() uint64 {
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	return db.seq
}

// Close ends every subscription (their Err becomes ErrClosed), delivers
// events already queued, and closes the backend. Later calls on the DB or
// its stores return an error matching ErrClosed. Closing twice returns
// ErrClosed.
func (db *DB) Close() error {
	if !db.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	// Wait for a running commit to publish before shutting the circuit.
	db.commitMu.Lock()
	db.commitMu.Unlock()
	db.circuit.Await()
	db.mu.Lock()
	subs := make([]*subscriptionHandle, 0, len(db.subs))
	for h := range db.subs {
		subs = append(subs, h)
	}
	db.mu.Unlock()
	for _, h := range subs {
		h.end(ErrClosed)
	}
	db.cortex.Close()
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
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	events := db.txEvents()
	var last *Tx
	defer func() {
		if last != nil {
			if r := recover(); r != nil {
				events.emit(TxRollback, last.id, 0, fmt.Errorf("panic: %v", r))
				last.end()
				panic(r)
			}
			last.end()
		}
	}()
	err := db.b.Update(ctx, func(bt backend.Txn) error {
		if last != nil { // the engine retries after a conflict
			events.emit(TxConflict, last.id, 0, ErrConflict)
			last.end()
		}
		last = &Tx{db: db, ctx: ctx, r: bt, w: bt, id: db.txSeq.Add(1), st: db.txStates.Get().(*txState)}
		events.emit(TxBegin, last.id, 0, nil)
		err := fn(last)
		last.done = true
		return err
	})
	err = mapBackendErr(err)
	switch {
	case last == nil:
	case err == nil:
		events.emit(TxCommit, last.id, last.st.writes, nil)
		if len(last.st.order) > 0 {
			db.publish(last)
		}
	case errors.Is(err, ErrConflict):
		events.emit(TxConflict, last.id, 0, err)
		events.emit(TxRollback, last.id, 0, err)
	default:
		events.emit(TxRollback, last.id, 0, err)
	}
	return err
}

// publish stamps a committed transaction's changes with Seq numbers and
// emits them. The caller holds commitMu.
func (db *DB) publish(tx *Tx) {
	now := db.clock()
	for _, c := range tx.st.order {
		db.seq++
		c.log.publish(c.i, db.seq, tx.id, now)
	}
}

// Flush makes every committed transaction durable, whatever the backend's
// sync setting.
func (db *DB) Flush(ctx context.Context) error {
	if db.closed.Load() {
		return ErrClosed
	}
	ot := db.startOp()
	err := mapBackendErr(db.b.Flush(ctx))
	if ot.active() {
		db.endOp(ot, OpFlush, "", "", 0, 0, err)
	}
	return err
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
	tx := &Tx{db: db, ctx: ctx, r: v, st: db.txStates.Get().(*txState)}
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
	key, val, enc, aux, idx []byte
}

func (db *DB) getScratch() *scratch { return db.scratch.Get().(*scratch) }

func (db *DB) putScratch(s *scratch) {
	// Don't let one huge value pin memory in the pool forever.
	if cap(s.val) > 1<<20 {
		s.val = nil
	}
	if cap(s.enc) > 1<<20 {
		s.enc = nil
	}
	db.scratch.Put(s)
}
