package store

import (
	"context"
	"strconv"
	"time"

	"github.com/synapsed/storegen/runtime/substrates"
)

// Op names a store operation in an OpEvent.
type Op uint8

// Operations reported by OpEvent.
const (
	OpGet Op = iota + 1
	OpPut
	OpDelete
	OpScan
	OpFlush
	OpBatch
)

var opNames = [...]string{OpGet: "get", OpPut: "put", OpDelete: "delete", OpScan: "scan", OpFlush: "flush", OpBatch: "batch"}

func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// OpEvent reports one store operation, successful or not (Err). It carries
// no record values, and Key is Redacted when the store's key is sensitive.
// Operation events are built only while someone subscribes to them; while
// someone does, every operation is timed (see monitor.go), and Start and
// Duration are the readings monitoring takes.
type OpEvent struct {
	Op    Op
	Store string
	// Key is the record's key as text; empty for scans and batches.
	Key string
	// TxID is the transaction the operation ran in; 0 for reads outside
	// one.
	TxID     uint64
	Start    time.Time
	Duration time.Duration
	// Count is the number of records a batch wrote or a scan returned.
	Count int
	Err   error
}

// TxEventKind says what happened to a transaction.
type TxEventKind uint8

// Transaction event kinds.
const (
	TxBegin TxEventKind = iota + 1
	TxCommit
	TxRollback
	// TxConflict: the engine detected a conflicting writer; the
	// transaction is retried or, when attempts run out, rolled back.
	TxConflict
)

var txKindNames = [...]string{TxBegin: "begin", TxCommit: "commit", TxRollback: "rollback", TxConflict: "conflict"}

func (k TxEventKind) String() string {
	if int(k) < len(txKindNames) && txKindNames[k] != "" {
		return txKindNames[k]
	}
	return "TxEventKind(" + strconv.Itoa(int(k)) + ")"
}

// TxEvent reports a write transaction's begin, commit, rollback or
// conflict.
type TxEvent struct {
	Kind TxEventKind
	TxID uint64
	Time time.Time
	// Duration is from begin to this event (zero for TxBegin).
	Duration time.Duration
	// Changes is how many records the transaction wrote (commit only).
	Changes int
	Err     error
}

// streams are the DB's untyped event conduits.
type streams struct {
	ops   *substrates.Conduit[OpEvent]
	opsCh *substrates.Channel[OpEvent]
	txs   *substrates.Conduit[TxEvent]
	txsCh *substrates.Channel[TxEvent]
}

func newStreams(c *substrates.Circuit) streams {
	s := streams{
		ops: substrates.NewConduit[OpEvent](c, "ops"),
		txs: substrates.NewConduit[TxEvent](c, "transactions"),
	}
	s.opsCh, s.txsCh = s.ops.Channel("ops"), s.txs.Channel("transactions")
	return s
}

// OpConduit returns the conduit of operation events.
func (db *DB) OpConduit() *substrates.Conduit[OpEvent] { return db.streams.ops }

// TxConduit returns the conduit of transaction events.
func (db *DB) TxConduit() *substrates.Conduit[TxEvent] { return db.streams.txs }

// WatchOps subscribes to operation events. Only Buffer and OnOverflow
// apply.
func (db *DB) WatchOps(ctx context.Context, opts ...WatchOption) *Subscription[OpEvent] {
	var onDrop func()
	if db.mon != nil {
		onDrop = dropHook(&db.mon.opsDropped, db.mon.ops)
	}
	return watchStream(ctx, db, db.streams.ops, opts, onDrop)
}

// WatchTx subscribes to transaction events. Only Buffer and OnOverflow
// apply.
func (db *DB) WatchTx(ctx context.Context, opts ...WatchOption) *Subscription[TxEvent] {
	var onDrop func()
	if db.mon != nil {
		onDrop = dropHook(&db.mon.txsDropped, db.mon.txs)
	}
	return watchStream(ctx, db, db.streams.txs, opts, onDrop)
}

// watchStream subscribes to one of the DB's untyped streams; onDrop, if not
// nil, is told of each event the subscription drops.
func watchStream[E any](ctx context.Context, db *DB, c *substrates.Conduit[E], opts []WatchOption, onDrop func()) *Subscription[E] {
	cfg := watchConfigOf(opts)
	sub := newSubscription[E](&cfg, nil)
	sub.onDrop = onDrop
	if db.closed.Load() {
		sub.end(ErrClosed)
		return sub
	}
	inner := c.Subscribe(func(_ substrates.Subject, r substrates.Registrar[E]) {
		r.Register(substrates.DirectFunc[E](sub.offer))
	})
	h := &subscriptionHandle{end: sub.end}
	db.track(h)
	stop := context.AfterFunc(ctx, func() { sub.end(ctx.Err()) })
	sub.setCleanup(func() {
		stop()
		inner.Close()
		db.untrack(h)
	})
	return sub
}

// emitOp emits the OpEvent of the operation r, measured by begin and end
// to have taken d. Callers check r.events first, and format keys only
// then.
func (db *DB) emitOp(r opRun, d time.Duration, op Op, store, key string, txID uint64, count int, err error) {
	start := db.epoch.Add(time.Duration(r.start))
	db.streams.opsCh.Emit(OpEvent{Op: op, Store: store, Key: key, TxID: txID, Start: start, Duration: d, Count: count, Err: err})
}

// txEvents reports a write transaction's life on the transaction stream,
// only while someone listens.
type txEvents struct {
	db    *DB
	on    bool
	start time.Time
}

func (db *DB) txEvents() txEvents {
	if !db.streams.txs.Subscribed() {
		return txEvents{db: db}
	}
	return txEvents{db: db, on: true, start: time.Now()}
}

func (e txEvents) emit(kind TxEventKind, id uint64, changes int, err error) {
	if !e.on {
		return
	}
	now := time.Now()
	ev := TxEvent{Kind: kind, TxID: id, Time: now, Changes: changes, Err: err}
	if kind != TxBegin {
		ev.Duration = now.Sub(e.start)
	}
	e.db.streams.txsCh.Emit(ev)
}
