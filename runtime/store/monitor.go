package store

import (
	"context"
	"errors"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/substrates"
)

// Monitoring. Every store operation (and every DB.Update, View and Flush)
// goes through one measurement path, begin and end below, which
//
//   - counts it exactly: calls when it begins, and errors, rejections or
//     discards when it ends, in atomic counters per store and operation;
//   - emits Services signals (CALL, then SUCCESS, FAIL, REJECT, EXPIRE or
//     DISCARD) on the store's Service, which cost one atomic load while
//     nobody subscribes to the Kit's services conduit;
//   - feeds two Assessors, the store's and the backend's (the DB's), which
//     judge the Status;
//   - times a sample of operations, and every one while somebody watches
//     the operation stream (WatchOps), whose OpEvents share the readings.
//
// Reading the clock twice costs more than the rest of a memory-engine Get,
// so only one operation in P is timed, chosen by the per-store call
// counter (calls&(P-1) == 0, without regard to how long operations take).
// P adapts to the store's rate, aiming at one timed operation per
// sampleSpacing: every operation is timed below about 4,000 a second, one
// in two at 10,000, one in sixteen at 64,000 and one in 64, at most, from
// 256,000. A timed operation feeds the assessors its duration
// (ObserveAt). The others are counted without one (CountAt): a failure at
// once, at the time of the latest clock reading of a timed operation of
// the store; a success only in the store's pending count, which the next
// timed operation — a fraction of a millisecond later while the store is
// busy — hands to both assessors. So an untimed success costs two atomic
// adds (the call and the pending count) and no clock read; error rates and
// rates of operations are judged on every operation, latency on the
// sample.

// sampleSpacing is the interval between timed operations a store aims at;
// maxSampleEvery bounds the sampling period P.
const (
	sampleSpacing  = 250 * time.Microsecond
	maxSampleEvery = 64
	// sampleAdjust is how often P is reconsidered.
	sampleAdjust = 10 * time.Millisecond
)

// WithMonitoring turns monitoring on (the default) or off. Off, operations
// are neither counted nor timed nor judged: Status reports STABLE and
// TENTATIVE, Performance reports nothing, and no Serventis signal is
// emitted. Operation and transaction events (WatchOps, WatchTx) work
// either way.
func WithMonitoring(on bool) Option { return func(db *DB) { db.monitoring = on } }

// WithAssessorConfig sets the configuration of the DB's assessors: one per
// store, one for the backend and one for the network probe. Its Monitor and
// Epoch fields are set by the DB; a Clock in it is also the clock that
// times operations, so that tests can run monitoring on a fake clock.
func WithAssessorConfig(cfg serventis.AssessorConfig) Option {
	return func(db *DB) { db.assessorCfg = cfg }
}

// opKind is an operation a monitor counts, one set of counters each. Store
// and DB monitors number their operations apart (storeOps, dbOps).
type opKind uint8

// The operations of a store.
const (
	kindGet    opKind = iota // Get, GetBy
	kindExists               // Exists
	kindPut                  // Put
	kindInsert               // Insert
	kindDelete               // Delete
	kindScan                 // Scan, ScanRange, ScanPrefix, ListBy
	kindBatch                // PutAll, DeleteAll
	numStoreKinds
)

// The operations of a DB.
const (
	kindUpdate opKind = iota // DB.Update
	kindView                 // DB.View
	kindFlush                // DB.Flush
	numDBKinds
)

// maxKinds is the size of a monitor's counter arrays.
const maxKinds = numStoreKinds

var (
	storeOps = []string{kindGet: "get", kindExists: "exists", kindPut: "put", kindInsert: "insert", kindDelete: "delete", kindScan: "scan", kindBatch: "batch"}
	dbOps    = []string{kindUpdate: "update", kindView: "view", kindFlush: "flush"}
)

// opOf is the Op an OpEvent reports for a store operation.
var opOf = [numStoreKinds]Op{kindGet: OpGet, kindExists: OpGet, kindPut: OpPut, kindInsert: OpPut, kindDelete: OpDelete, kindScan: OpScan, kindBatch: OpBatch}

// outcome is how an operation ended, as monitoring sees it.
type outcome uint8

const (
	// succeeded: nil, or ErrNotFound, which is an answer, not a failure.
	succeeded outcome = iota
	// rejected: the request was declined for what it asked — the key
	// exists, a unique index holds the value, a write in a read-only or
	// ended transaction. Not the store's fault; not judged a failure.
	rejected
	// discarded: the caller gave up (context cancelled) or rolled its own
	// transaction back. Not judged a failure.
	discarded
	// expired: the context's deadline passed. Judged a failure: slowness
	// that callers stopped waiting for.
	expired
	// failed: anything else — the backend, corrupt data, a closed DB.
	failed
)

// signOf and orientationOf are the Services signal of each outcome. A
// discard is the caller's act, which the store perceived: DISCARD as
// RECEIPT.
var (
	signOf        = [failed + 1]serventis.Sign{succeeded: serventis.Success, rejected: serventis.Reject, discarded: serventis.Discard, expired: serventis.Expire, failed: serventis.Fail}
	orientationOf = [failed + 1]serventis.Orientation{discarded: serventis.Receipt}
)

// outcomeOf classifies err. It runs only for errors, where errors.Is's
// chain walks are affordable.
func outcomeOf(err error) outcome {
	switch {
	case err == nil || errors.Is(err, ErrNotFound):
		return succeeded
	case errors.Is(err, backend.ErrConflict):
		// An optimistic engine lost its race, retries and all.
		return failed
	case errors.Is(err, ErrExists) || errors.Is(err, ErrConflict) ||
		errors.Is(err, ErrReadOnly) || errors.Is(err, ErrTxDone):
		return rejected
	case errors.Is(err, context.DeadlineExceeded):
		return expired
	case errors.Is(err, context.Canceled):
		return discarded
	}
	return failed
}

// opMonitor counts, samples and judges the operations of one subject: a
// store, or the DB's own Update, View and Flush.
type opMonitor struct {
	// What every operation touches, together: a busy engine evicts the
	// monitor from the processor's cache between operations, and each
	// line it touches again costs a few nanoseconds. mask is P-1 for the
	// sampling period P; ok counts the untimed successes not yet handed
	// to the assessors.
	mask     atomic.Uint64
	ok       atomic.Uint64
	calls    [maxKinds]atomic.Uint64
	services *substrates.Conduit[serventis.Signal] // whether anyone listens to svc

	names []string // the operation names, by kind
	// paced has bit k set if the caller sets the pace of operations of
	// kind k — a scan runs the caller's loop body, an Update or View the
	// caller's function — so that their duration says nothing about the
	// subject. They are counted but neither timed for the assessors nor
	// counted as attempts (a long scan must not look like a hang).
	paced uint16
	a     *serventis.Assessor // the subject's assessor
	// up is the backend's assessor, fed the same measurements; nil when a
	// is the backend's.
	up  *serventis.Assessor
	svc serventis.Service

	// The timed operations' state: last is the latest clock reading of
	// one, the time untimed failures are counted at.
	last     atomic.Int64
	adjustAt atomic.Int64
	timedN   atomic.Uint64

	errs     [maxKinds]atomic.Uint64
	rejects  [maxKinds]atomic.Uint64
	discards [maxKinds]atomic.Uint64
	latency  [maxKinds]latencyCounts
}

// isPaced reports whether operations of kind k are paced by the caller.
func (m *opMonitor) isPaced(k opKind) bool { return m.paced&(1<<k) != 0 }

// opRun is one operation in flight, held by value on the caller's stack.
type opRun struct {
	start   int64 // clock reading at begin, if timed
	weight  uint64
	timed   bool
	events  bool // an OpEvent is wanted
	signals bool // someone listens to Services signals
}

// now returns the monitoring clock: nanoseconds since the DB's epoch.
func (db *DB) now() int64 {
	if db.mclock != nil {
		return int64(db.mclock().Sub(db.epoch))
	}
	return int64(time.Since(db.epoch))
}

// begin starts measuring an operation of kind k on m (nil when monitoring
// is off). It reads the clock only for a timed operation.
func (db *DB) begin(m *opMonitor, k opKind) opRun {
	events := db.streams.ops.Subscribed()
	if m == nil {
		if events {
			return opRun{timed: true, events: true, start: db.now()}
		}
		return opRun{}
	}
	signals := m.services.Subscribed()
	if signals {
		m.svc.Call()
	}
	n := m.calls[k].Add(1)
	mask := m.mask.Load()
	if n&mask != 0 && !events {
		return opRun{signals: signals}
	}
	return db.beginTimed(m, k, events, signals, mask+1)
}

// beginTimed starts timing an operation chosen by begin: every one while
// events are wanted (weight 1), else one in P (weight P).
func (db *DB) beginTimed(m *opMonitor, k opKind, events, signals bool, p uint64) opRun {
	r := opRun{timed: true, events: events, signals: signals, weight: p}
	if events {
		r.weight = 1
	}
	r.start = db.now()
	m.last.Store(r.start)
	if !m.isPaced(k) {
		m.a.AttemptAt(r.start, r.weight)
		if m.up != nil {
			m.up.AttemptAt(r.start, r.weight)
		}
	}
	return r
}

// end finishes measuring the operation r of kind k with its result err,
// and returns its duration (zero if it was not timed).
func (db *DB) end(m *opMonitor, k opKind, r opRun, err error) time.Duration {
	if m != nil && err == nil && !r.timed { // the common case, kept small
		if r.signals {
			m.svc.Succeed()
		}
		m.ok.Add(1)
		return 0
	}
	o := succeeded
	if err != nil && m != nil {
		o = outcomeOf(err)
	}
	return db.endAs(m, k, r, o)
}

// endAs is end with the outcome decided by the caller.
func (db *DB) endAs(m *opMonitor, k opKind, r opRun, o outcome) time.Duration {
	var d time.Duration
	var now int64
	if r.timed {
		now = db.now()
		d = time.Duration(now - r.start)
	}
	if m == nil {
		return d
	}
	switch o {
	case rejected:
		m.rejects[k].Add(1)
	case discarded:
		m.discards[k].Add(1)
	case expired, failed:
		m.errs[k].Add(1)
	}
	if r.signals {
		m.svc.Signal(signOf[o], orientationOf[o])
	}
	fail := o >= expired
	if !r.timed {
		if fail {
			m.count(m.last.Load(), 1, 1)
		} else {
			m.ok.Add(1)
		}
		return d
	}
	m.last.Store(now)
	m.latency[k].observe(d, r.weight)
	if m.isPaced(k) {
		m.count(now, 1, b2u(fail))
	} else {
		m.a.ObserveAt(now, d, fail)
		if m.up != nil {
			m.up.ObserveAt(now, d, fail)
		}
	}
	if n := m.ok.Swap(0); n > 0 {
		m.count(now, n, 0)
	}
	m.adjust(now)
	return d
}

// count counts n untimed operations, failed of which failed, into both
// assessors.
func (m *opMonitor) count(now int64, n, failed uint64) {
	m.a.CountAt(now, n, failed)
	if m.up != nil {
		m.up.CountAt(now, n, failed)
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// adjust reconsiders the sampling period once per sampleAdjust, from the
// timed operations counted since: the rate of operations is about
// timed × P over the time passed, and P is set to the power of two that
// spaces timed operations sampleSpacing apart.
func (m *opMonitor) adjust(now int64) {
	n := m.timedN.Add(1)
	at := m.adjustAt.Load()
	span := now - at
	if span < int64(sampleAdjust) || !m.adjustAt.CompareAndSwap(at, now) {
		return
	}
	m.timedN.Store(0)
	want := n * (m.mask.Load() + 1) * uint64(sampleSpacing) / uint64(span)
	p := uint64(1)
	if want > 1 {
		p = 1 << (bits.Len64(min(want, maxSampleEvery)) - 1)
	}
	m.mask.Store(p - 1)
}

// OpCounters are the counts of one operation of a store or of the DB.
type OpCounters struct {
	// Op names the operation: for a store get, exists, put, insert,
	// delete, scan or batch; for the DB update, view or flush.
	Op string
	// Calls counts the operations begun.
	Calls uint64
	// Errors counts those that failed, deadlines passed included.
	Errors uint64
	// Rejections counts those declined for what they asked: a key that
	// exists, a unique value taken, a write in a read-only transaction.
	Rejections uint64
	// Discards counts those the caller gave up (a cancelled context) or,
	// for the DB's update, rolled back by returning an error.
	Discards uint64
	// Latency is the histogram of their durations.
	Latency LatencyCounts
}

// LatencyBounds are the upper bounds of the buckets of a LatencyCounts,
// ascending; a last bucket, without bound, holds the rest.
var LatencyBounds = [...]time.Duration{
	time.Microsecond, 3 * time.Microsecond, 10 * time.Microsecond, 30 * time.Microsecond,
	100 * time.Microsecond, 300 * time.Microsecond, time.Millisecond, 3 * time.Millisecond,
	10 * time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond,
	time.Second, 3 * time.Second, 10 * time.Second,
}

// LatencyCounts is a histogram of operation durations. It is estimated
// from the timed sample: each timed operation is counted for the P
// operations of its sampling period, so Count approximates Calls (less the
// operations in flight) and Sum their total duration. A scan's duration
// includes the time the caller's loop body took.
type LatencyCounts struct {
	Count uint64
	Sum   time.Duration
	// Buckets[i] counts durations up to LatencyBounds[i] and above the
	// bound before; the last counts those above every bound. They are not
	// cumulative.
	Buckets [len(LatencyBounds) + 1]uint64
}

// latencyCounts is a LatencyCounts being counted into. Its count is the
// sum of its buckets, so that a reading is consistent whatever is counted
// meanwhile.
type latencyCounts struct {
	sum     atomic.Uint64
	buckets [len(LatencyBounds) + 1]atomic.Uint64
}

// observe counts w operations of duration d; only timed operations get
// here, so the search is off the hot path.
func (l *latencyCounts) observe(d time.Duration, w uint64) {
	i := 0
	for i < len(LatencyBounds) && d > LatencyBounds[i] {
		i++
	}
	l.buckets[i].Add(w)
	l.sum.Add(uint64(max(d, 0)) * w)
}

func (l *latencyCounts) read() LatencyCounts {
	c := LatencyCounts{Sum: time.Duration(l.sum.Load())}
	for i := range l.buckets {
		c.Buckets[i] = l.buckets[i].Load()
		c.Count += c.Buckets[i]
	}
	return c
}

// counters reads m's counters, one entry per operation that has been
// called.
func (m *opMonitor) counters() []OpCounters {
	var out []OpCounters
	for k, name := range m.names {
		calls := m.calls[k].Load()
		if calls == 0 {
			continue
		}
		out = append(out, OpCounters{
			Op:         name,
			Calls:      calls,
			Errors:     m.errs[k].Load(),
			Rejections: m.rejects[k].Load(),
			Discards:   m.discards[k].Load(),
			Latency:    m.latency[k].read(),
		})
	}
	return out
}

// monitors is the DB's monitoring state, made by Open when monitoring is
// on; the DB's kit exists either way.
type monitors struct {
	backend *serventis.Assessor
	db      *opMonitor // Update, View, Flush
	commit  serventis.Resource
	ops     serventis.Queue // drops of WatchOps subscriptions
	txs     serventis.Queue // drops of WatchTx subscriptions
	// situation is what the Reporter last emitted; circuit goroutine only.
	situation serventis.Situation
	reporter  serventis.Reporter
	statuses  map[string]serventis.Status // by monitor name; circuit goroutine only

	retries        atomic.Uint64
	commitWaits    atomic.Uint64
	commitTimeouts atomic.Uint64
	opsDropped     atomic.Uint64
	txsDropped     atomic.Uint64

	// probe is the network probe attached with WithProbe, if any.
	probe *Probe

	stats statsCache
}

// Instrument names on the DB's Kit. Store instruments are "store.<name>".
const (
	backendName = "backend"
	dbName      = "db"
)

// startMonitoring makes the kit and, with monitoring on, the DB's
// assessors and instruments. Open calls it once the circuit runs.
func (db *DB) startMonitoring() {
	db.kit = serventis.NewKit(db.circuit)
	if !db.monitoring {
		return
	}
	kit := db.kit
	m := &monitors{
		commit:   kit.Resource(dbName + ".commit"),
		ops:      kit.Queue(dbName + ".ops"),
		txs:      kit.Queue(dbName + ".transactions"),
		reporter: kit.Reporter(dbName),
		statuses: make(map[string]serventis.Status),
	}
	m.backend = db.newAssessor(backendName)
	m.db = &opMonitor{names: dbOps, paced: 1<<kindUpdate | 1<<kindView, a: m.backend, svc: kit.Service(dbName), services: kit.Services()}
	db.mon = m
	if db.probe != nil {
		db.probe.attach(db)
	}
	// The Reporter follows the monitors: every Status change is emitted on
	// the monitors conduit, and this subscriber, on the circuit goroutine,
	// judges the situation again and emits it when it changed.
	kit.Monitors().Subscribe(func(subject substrates.Subject, r substrates.Registrar[serventis.Status]) {
		name := subject.Name().String()
		r.Register(substrates.PipeFunc[serventis.Status](func(s serventis.Status) { m.report(name, s) }))
	})
}

// report records the status of the monitor called name and emits the
// situation if it changed. It runs on the circuit goroutine.
func (m *monitors) report(name string, s serventis.Status) {
	m.statuses[name] = s
	worst := serventis.Normal
	for _, st := range m.statuses {
		worst = max(worst, serventis.SituationOf(st))
	}
	if worst != m.situation {
		m.situation = worst
		m.reporter.Situation(worst)
	}
}

// newAssessor makes an assessor on the DB's timeline that emits its status
// changes on the Monitor called name.
func (db *DB) newAssessor(name string) *serventis.Assessor {
	cfg := db.assessorCfg
	cfg.Epoch = db.epoch
	cfg.Monitor = db.kit.Monitor(name)
	return serventis.NewAssessor(cfg)
}

// ownMonitor returns the monitor of the DB's own operations, or nil when
// monitoring is off.
func (db *DB) ownMonitor() *opMonitor {
	if db.mon == nil {
		return nil
	}
	return db.mon.db
}

// storeMonitor makes the monitor of the store called name, or returns nil
// when monitoring is off.
func (db *DB) storeMonitor(name string) *opMonitor {
	if db.mon == nil {
		return nil
	}
	n := "store." + name
	return &opMonitor{names: storeOps, paced: 1 << kindScan, a: db.newAssessor(n), up: db.mon.backend, svc: db.kit.Service(n), services: db.kit.Services()}
}

// Kit returns the DB's Serventis instruments' conduits: subscribe to them
// to see every store's Services signals ("store.<name>"), the Monitors'
// status changes ("store.<name>", "backend", "network"), the DB's
// Reporter ("db"), the commit lock's Resources signals ("db.commit"), the
// subscription Queues' overflows ("store.<name>", "db.ops",
// "db.transactions") and the network Probes. Queues report OVERFLOW only:
// an ENQUEUE and DEQUEUE per event would cost more than the events; each
// subscription's Lag is its queue's depth. With monitoring off the Kit
// exists and stays silent.
func (db *DB) Kit() *serventis.Kit { return db.kit }

// commitLock is the DB's write lock. Unlike a sync.Mutex, waiting for it
// can be abandoned when a context ends; like one, it is a sync.Locker.
type commitLock struct{ ch chan struct{} }

var _ sync.Locker = (*commitLock)(nil)

func newCommitLock() commitLock { return commitLock{ch: make(chan struct{}, 1)} }

func (l *commitLock) Lock()   { l.ch <- struct{}{} }
func (l *commitLock) Unlock() { <-l.ch }

func (l *commitLock) tryLock() bool {
	select {
	case l.ch <- struct{}{}:
		return true
	default:
		return false
	}
}

// lockCommit takes the commit lock for a write transaction, waiting no
// longer than ctx allows, and reports it as a Resource: ATTEMPT then
// GRANT when the lock is free; ATTEMPT, DENY, ACQUIRE, then GRANT or
// TIMEOUT when the transaction has to wait; RELEASE when unlockCommit
// gives it back.
func (db *DB) lockCommit(ctx context.Context) error {
	var res serventis.Resource
	if db.mon != nil {
		res = db.mon.commit
	}
	res.Attempt()
	if db.commitMu.tryLock() {
		res.Grant()
		return nil
	}
	res.Deny()
	res.Acquire()
	if db.mon != nil {
		db.mon.commitWaits.Add(1)
	}
	select {
	case db.commitMu.ch <- struct{}{}:
		res.Grant()
		return nil
	case <-ctx.Done():
		res.Timeout()
		if db.mon != nil {
			db.mon.commitTimeouts.Add(1)
		}
		return ctx.Err()
	}
}

// unlockCommit releases the lock taken by lockCommit.
func (db *DB) unlockCommit() {
	db.commitMu.Unlock()
	if db.mon != nil {
		db.mon.commit.Release()
	}
}

// retried reports that the engine runs a transaction's function again.
func (db *DB) retried() {
	if db.mon != nil {
		db.mon.retries.Add(1)
		db.mon.db.svc.Retry()
	}
}

// dropHook returns the function a subscription calls for each event it
// drops: it counts the drop in n and emits OVERFLOW on q.
func dropHook(n *atomic.Uint64, q serventis.Queue) func() {
	return func() {
		n.Add(1)
		q.Overflow()
	}
}

// Counters is what the DB has counted since it opened, for exporters such
// as runtime/metrics; reading it takes no lock on any operation's path.
type Counters struct {
	// Time is when the counters were read.
	Time time.Time
	// Stores holds one entry per store, in no order.
	Stores []StoreCounters
	// Ops are the DB's own operations: update, view, flush.
	Ops []OpCounters
	// Retries counts transactions the engine ran again after a conflict.
	Retries uint64
	// CommitWaits counts write transactions that waited for another's
	// commit; CommitTimeouts those whose context ended while waiting.
	CommitWaits, CommitTimeouts uint64
	// OpsDropped and TxDropped count events dropped by WatchOps and
	// WatchTx subscriptions.
	OpsDropped, TxDropped uint64
	// Probe is the network probe's counters; zero without one.
	Probe ProbeCounters
}

// StoreCounters are one store's counters and status.
type StoreCounters struct {
	Name   string
	Status serventis.Status
	Ops    []OpCounters
	// Subscribers is how many Watch subscriptions are open, Lag how many
	// events wait in their buffers altogether, and Dropped how many events
	// the store's subscriptions have dropped since the DB opened.
	Subscribers int
	Lag         int
	Dropped     uint64
}

// Counters reads the DB's counters. With monitoring off it returns only
// the store names and subscriptions.
func (db *DB) Counters() Counters {
	c := Counters{Time: time.Now()}
	type subs struct{ n, lag int }
	live := make(map[*keyspace]subs)
	db.mu.Lock()
	stores := make([]*keyspace, 0, len(db.keyspaces))
	for _, ks := range db.keyspaces {
		stores = append(stores, ks)
	}
	handles := make([]*subscriptionHandle, 0, len(db.subs))
	for h := range db.subs {
		if h.store != nil {
			handles = append(handles, h)
		}
	}
	db.mu.Unlock()
	for _, h := range handles {
		s := live[h.store]
		s.n++
		s.lag += h.lag()
		live[h.store] = s
	}
	c.Stores = make([]StoreCounters, 0, len(stores))
	for _, ks := range stores {
		sc := StoreCounters{Name: ks.name, Subscribers: live[ks].n, Lag: live[ks].lag, Dropped: ks.dropped.Load()}
		sc.Status = unmonitored
		if ks.mon != nil {
			sc.Status = ks.mon.a.Status()
			sc.Ops = ks.mon.counters()
		}
		c.Stores = append(c.Stores, sc)
	}
	if m := db.mon; m != nil {
		c.Ops = m.db.counters()
		c.Retries = m.retries.Load()
		c.CommitWaits = m.commitWaits.Load()
		c.CommitTimeouts = m.commitTimeouts.Load()
		c.OpsDropped = m.opsDropped.Load()
		c.TxDropped = m.txsDropped.Load()
		if m.probe != nil {
			c.Probe = m.probe.counters()
		}
	}
	return c
}

// unmonitored is the Status reported with monitoring off: nothing says
// otherwise, and nothing was measured.
var unmonitored = serventis.Status{Condition: serventis.Stable, Confidence: serventis.Tentative}
