// Package store is the runtime that generated stores call: the DB that owns
// a backend, transactions, typed keyspaces with their index upkeep, the
// errors callers branch on, and the monitoring of every operation (Serventis
// signals, assessed Status, Performance and Resources; monitor.go).
// Generated code supplies only typing, key encoding, codecs and index
// definitions (a Schema); everything a store does with them lives here
// once.
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
	"github.com/synapsed/storegen/runtime/serventis"
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
	// reads counts the views open for reads (View, scans, unique lookups,
	// watch replays): Close waits for them before it closes the backend,
	// whose iterators must not run while it closes.
	reads backend.Gate

	// commitMu serializes write transactions with each other and with the
	// start of watches, so that Seq follows commit order and a watch starts
	// exactly between two commits. The engines we embed admit one writer at
	// a time anyway.
	commitMu commitLock
	seq      uint64 // last published Seq; guarded by commitMu

	// With WithFeed, events come from the backend's change feed (feed.go).
	useFeed bool
	feed    *feedState

	cortex      *substrates.Cortex
	circuit     *substrates.Circuit
	circuitOpts []substrates.CircuitOption // WithCircuit
	streams     streams

	// Monitoring (monitor.go): the clock operations are timed on, in
	// nanoseconds since epoch; the kit; and, with monitoring on, the
	// assessors and counters.
	monitoring  bool
	assessorCfg serventis.AssessorConfig
	epoch       time.Time
	mclock      func() time.Time // nil: the monotonic clock
	kit         *serventis.Kit
	mon         *monitors
	probe       *Probe

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
	mon  *opMonitor // nil with monitoring off

	// dropped counts the events the store's subscriptions dropped; queue
	// reports each as OVERFLOW.
	dropped atomic.Uint64
	queue   serventis.Queue

	mu      sync.Mutex
	conduit any // *substrates.Conduit[Event[K, V]] of the store's types
	// watchJSON watches the store without its types (DB.WatchJSON).
	watchJSON func(ctx context.Context, opts []WatchOption) *Subscription[[]byte]
	// feed publishes a change from the DB's change feed (WithFeed).
	feed func(c *backend.Change, seq, txID uint64, now time.Time) error
	// decoder decodes the store's records for a backend.DecodedGetter:
	// one per keyspace, so that every Table of the store shares what the
	// backend keeps.
	decoder *backend.Decoder
}

// Option configures Open. See also WithMonitoring, WithAssessorConfig and
// WithProbe.
type Option func(*DB)

// WithName names the DB in errors, events and metrics (default "db").
func WithName(name string) Option { return func(db *DB) { db.name = name } }

// WithClock sets the clock that stamps events (default time.Now).
func WithClock(now func() time.Time) Option { return func(db *DB) { db.clock = now } }

// WithCircuit configures the DB's event circuit (see DB.Circuit): for
// example substrates.SpinFor(0), so that its goroutine never keeps a
// processor watching for the next commit, or substrates.OnPanic, to be
// told of a panicking subscriber.
func WithCircuit(opts ...substrates.CircuitOption) Option {
	return func(db *DB) { db.circuitOpts = append(db.circuitOpts, opts...) }
}

// Open returns a DB over b. The DB owns b from now on: DB.Close closes it.
func Open(b backend.Backend, opts ...Option) (*DB, error) {
	if b == nil {
		return nil, fmt.Errorf("storegen: Open: nil backend")
	}
	db := &DB{
		b:          b,
		name:       "db",
		clock:      time.Now,
		keyspaces:  make(map[string]*keyspace),
		subs:       make(map[*subscriptionHandle]struct{}),
		commitMu:   newCommitLock(),
		monitoring: true,
	}
	db.scratch.New = func() any { return new(scratch) }
	db.txStates.New = func() any { return new(txState) }
	for _, o := range opts {
		o(db)
	}
	var follow func()
	if db.useFeed {
		var err error
		if follow, err = db.startFeed(); err != nil {
			return nil, err
		}
	}
	db.mclock = db.assessorCfg.Clock
	if db.mclock != nil {
		db.epoch = db.mclock()
	} else {
		db.epoch = time.Now()
	}
	db.cortex = substrates.NewCortex()
	db.circuit = db.cortex.Circuit("storegen."+db.name, db.circuitOpts...)
	db.streams = newStreams(db.circuit)
	db.startMonitoring()
	if follow != nil {
		follow()
	}
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
	db.stopFeed()
	// Wait for a running commit to publish before shutting the circuit.
	db.commitMu.Lock()
	db.commitMu.Unlock()
	db.circuit.Await()
	if db.mon != nil {
		db.mon.stats.wait()
	}
	db.endSubscriptions(func(*subscriptionHandle) bool { return true }, ErrClosed)
	// Scans stop at their next record (or when their loop body returns),
	// watch replays at their next event.
	db.reads.Close()
	db.cortex.Close()
	return mapBackendErr(db.b.Close())
}

// Update runs fn in an atomic, serializable read-write transaction. The
// transaction commits when fn returns nil; when fn returns an error or
// panics nothing it wrote is kept (a panic is re-raised). Backends that
// detect conflicts optimistically may run fn more than once, so fn must not
// have effects outside tx.
//
// Waiting for another transaction's commit ends, with ctx's error, when
// ctx does.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	m := db.ownMonitor()
	r := db.begin(m, kindUpdate)
	_, byFn, err := db.update(ctx, fn)
	o := succeeded
	switch {
	case err == nil:
	case byFn:
		// fn's own choice, or an operation in it that failed and was
		// counted as such.
		o = discarded
	default:
		o = outcomeOf(err)
	}
	db.endAs(m, kindUpdate, r, o)
	return err
}

// update is Update without the DB's own measurement, for the stores'
// operations, which measure themselves. It returns the id of the
// transaction that ran last and whether the error is the one fn returned.
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) (txID uint64, byFn bool, err error) {
	if db.closed.Load() {
		return 0, false, ErrClosed
	}
	if err := db.lockCommit(ctx); err != nil {
		return 0, false, err
	}
	defer db.unlockCommit()
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
	err = db.b.Update(ctx, func(bt backend.Txn) error {
		if last != nil { // the engine retries after a conflict
			events.emit(TxConflict, last.id, 0, ErrConflict)
			db.retried()
			last.end()
		}
		last = &Tx{db: db, ctx: ctx, r: bt, w: bt, id: db.txSeq.Add(1), st: db.txStates.Get().(*txState)}
		events.emit(TxBegin, last.id, 0, nil)
		err := fn(last)
		last.done, last.failed = true, err != nil
		return err
	})
	err = mapBackendErr(err)
	if last != nil {
		txID, byFn = last.id, err != nil && last.failed
	}
	switch {
	case last == nil:
	case err == nil:
		events.emit(TxCommit, last.id, last.st.writes, nil)
		if len(last.st.order) > 0 && db.feed == nil {
			db.publish(last)
		}
	case errors.Is(err, ErrConflict):
		events.emit(TxConflict, last.id, 0, err)
		events.emit(TxRollback, last.id, 0, err)
	default:
		events.emit(TxRollback, last.id, 0, err)
	}
	return txID, byFn, err
}

// publish stamps a committed transaction's changes with Seq numbers and
// emits them. The caller holds commitMu.
func (db *DB) publish(tx *Tx) {
	now := db.clock()
	order := tx.st.order
	for i := 0; i < len(order); {
		// A run of changes to one store goes out as one batch: its
		// entries in order are consecutive in that store's log.
		j := i + 1
		for j < len(order) && order[j].log == order[i].log {
			j++
		}
		db.seq = order[i].log.publish(order[i].i, order[j-1].i+1, db.seq, tx.id, now)
		i = j
	}
}

// Flush makes every committed transaction durable, whatever the backend's
// sync setting.
func (db *DB) Flush(ctx context.Context) error {
	if db.closed.Load() {
		return ErrClosed
	}
	m := db.ownMonitor()
	r := db.begin(m, kindFlush)
	err := mapBackendErr(db.b.Flush(ctx))
	d := db.end(m, kindFlush, r, err)
	if r.events {
		db.emitOp(r, d, OpFlush, "", "", 0, 0, err)
	}
	return err
}

// View runs fn in a read-only transaction over a consistent snapshot: every
// read in fn sees the same committed state.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	m := db.ownMonitor()
	r := db.begin(m, kindView)
	v, err := db.openView(ctx)
	if err != nil {
		db.end(m, kindView, r, err)
		return err
	}
	defer db.closeView(v)
	tx := &Tx{db: db, ctx: ctx, r: v, st: db.txStates.Get().(*txState)}
	defer tx.end()
	err = mapBackendErr(fn(tx))
	o := succeeded
	if err != nil {
		o = discarded // fn's, as in Update
	}
	db.endAs(m, kindView, r, o)
	return err
}

// openView opens a backend view counted in db.reads; closeView ends it.
func (db *DB) openView(ctx context.Context) (backend.View, error) {
	return db.openViewWith(ctx, db.b.View)
}

// openEventView opens the view a watch replays its existing records from:
// under commitMu, it ends where the watch's events begin. Following a feed,
// that is the feed's last revision dispatched.
func (db *DB) openEventView(ctx context.Context) (backend.View, error) {
	if db.feed != nil {
		rev := db.feed.rev
		return db.openViewWith(ctx, func(ctx context.Context) (backend.View, error) { return db.feed.f.ViewAt(ctx, rev) })
	}
	return db.openView(ctx)
}

func (db *DB) openViewWith(ctx context.Context, open func(context.Context) (backend.View, error)) (backend.View, error) {
	if db.reads.Enter() != nil {
		return nil, ErrClosed
	}
	v, err := open(ctx)
	if err != nil {
		db.reads.Exit()
		return nil, mapBackendErr(err)
	}
	return v, nil
}

func (db *DB) closeView(v backend.View) {
	v.Close()
	db.reads.Exit()
}

// register records a store's keyspace. Opening the same store twice on one
// DB is allowed and shares the keyspace.
func (db *DB) register(name string) *keyspace {
	db.mu.Lock()
	defer db.mu.Unlock()
	if ks, ok := db.keyspaces[name]; ok {
		return ks
	}
	ks := &keyspace{name: name, mon: db.storeMonitor(name)}
	if ks.mon != nil {
		ks.queue = db.kit.Queue("store." + name)
	}
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
