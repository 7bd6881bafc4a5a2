package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/store"
	"github.com/synapsed/storegen/runtime/store/internal/faulty"
	"github.com/synapsed/storegen/runtime/substrates"
)

// fakeClock is a monitoring clock moved by hand.
type fakeClock struct{ ns atomic.Int64 }

var clockEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *fakeClock) Now() time.Time          { return clockEpoch.Add(time.Duration(c.ns.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// emission is one value seen on a Kit conduit, with its channel's name.
type emission[E any] struct {
	channel string
	value   E
}

// recorder collects what a conduit emits; read it after the circuit's
// Await.
type recorder[E any] struct {
	mu  sync.Mutex
	got []emission[E]
}

func record[E any](cd *substrates.Conduit[E]) *recorder[E] {
	rec := &recorder[E]{}
	cd.Subscribe(func(s substrates.Subject, r substrates.Registrar[E]) {
		name := s.Name().String()
		r.Register(substrates.PipeFunc[E](func(e E) {
			rec.mu.Lock()
			rec.got = append(rec.got, emission[E]{name, e})
			rec.mu.Unlock()
		}))
	})
	return rec
}

// on returns the values emitted on the channel called name, as strings.
func (r *recorder[E]) on(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.got {
		if e.channel == name {
			out = append(out, fmt.Sprint(e.value))
		}
	}
	return out
}

// storeCounters returns the counters of the store called name, by
// operation.
func storeCounters(t *testing.T, db *store.DB, name string) (store.StoreCounters, map[string]store.OpCounters) {
	t.Helper()
	for _, sc := range db.Counters().Stores {
		if sc.Name == name {
			ops := make(map[string]store.OpCounters)
			for _, oc := range sc.Ops {
				ops[oc.Op] = oc
			}
			return sc, ops
		}
	}
	t.Fatalf("no store %s", name)
	return store.StoreCounters{}, nil
}

func TestMonitoringSignalsAndCounters(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			db, accounts := openOn(t, eng)
			services := record(db.Kit().Services())

			require.NoError(t, accounts.Put(ctx, account{ID: "a", Email: "a@x"}))
			_, err := accounts.Get(ctx, "a")
			require.NoError(t, err)
			_, err = accounts.Get(ctx, "missing")
			require.ErrorIs(t, err, store.ErrNotFound, "an answer, not a failure")
			require.ErrorIs(t, accounts.Insert(ctx, account{ID: "a"}), store.ErrExists)
			require.ErrorIs(t, accounts.Put(ctx, account{ID: "b", Email: "a@x"}), store.ErrConflict)
			ok, err := accounts.Exists(ctx, "a")
			require.NoError(t, err)
			require.True(t, ok)
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			_, err = accounts.Get(cancelled, "a")
			require.Error(t, err)
			for _, err := range accounts.Scan(ctx) {
				require.NoError(t, err)
			}
			require.NoError(t, accounts.PutAll(ctx, []account{{ID: "c", Email: "c"}, {ID: "d", Email: "d"}}))
			_, err = accounts.Delete(ctx, "c")
			require.NoError(t, err)
			require.Error(t, db.Update(ctx, func(tx *store.Tx) error {
				require.NoError(t, accounts.In(tx).Put(account{ID: "e", Email: "e"}))
				return errors.New("changed my mind")
			}))
			db.Circuit().Await()

			assert.Equal(t, []string{
				"CALL/RELEASE", "SUCCESS/RELEASE", // Put
				"CALL/RELEASE", "SUCCESS/RELEASE", // Get
				"CALL/RELEASE", "SUCCESS/RELEASE", // Get of a missing key
				"CALL/RELEASE", "REJECT/RELEASE", // Insert of a taken key
				"CALL/RELEASE", "REJECT/RELEASE", // Put of a taken unique value
				"CALL/RELEASE", "SUCCESS/RELEASE", // Exists
				"CALL/RELEASE", "DISCARD/RECEIPT", // Get with a cancelled context
				"CALL/RELEASE", "SUCCESS/RELEASE", // Scan
				"CALL/RELEASE", "SUCCESS/RELEASE", // PutAll
				"CALL/RELEASE", "SUCCESS/RELEASE", // Delete
				"CALL/RELEASE", "SUCCESS/RELEASE", // Put in a transaction
			}, services.on("store.account"))
			assert.Equal(t, []string{"CALL/RELEASE", "DISCARD/RECEIPT"}, services.on("db"), "the caller rolled back")

			sc, ops := storeCounters(t, db, "account")
			assert.Equal(t, serventis.Stable, sc.Status.Condition)
			assert.Equal(t, uint64(3), ops["get"].Calls)
			assert.Equal(t, uint64(1), ops["get"].Discards)
			assert.Equal(t, uint64(0), ops["get"].Errors)
			assert.Equal(t, uint64(3), ops["put"].Calls)
			assert.Equal(t, uint64(1), ops["put"].Rejections)
			assert.Equal(t, uint64(1), ops["insert"].Rejections)
			assert.Equal(t, uint64(1), ops["exists"].Calls)
			assert.Equal(t, uint64(1), ops["scan"].Calls)
			assert.Equal(t, uint64(1), ops["batch"].Calls)
			assert.Equal(t, uint64(1), ops["delete"].Calls)
			// Below a few thousand operations a second every one is timed.
			assert.Equal(t, uint64(3), ops["get"].Latency.Count)
			assert.Positive(t, ops["get"].Latency.Sum)
			var inBuckets uint64
			for _, n := range ops["get"].Latency.Buckets {
				inBuckets += n
			}
			assert.Equal(t, uint64(3), inBuckets)
			assert.Len(t, db.Counters().Ops, 1)
			assert.Equal(t, "update", db.Counters().Ops[0].Op)
			assert.Equal(t, uint64(1), db.Counters().Ops[0].Discards)
		})
	}
}

// openFaulty opens a DB, closed with the test, on a memory engine wrapped in
// a fault injector on the real clock.
func openFaulty(t *testing.T, opts ...store.Option) (*faulty.Backend, *store.DB, *store.Table[string, account]) {
	t.Helper()
	fb := faulty.Wrap(memory.New())
	db, err := store.Open(fb, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return fb, db, store.NewTable(db, &accountSchema)
}

func TestMonitoringFailures(t *testing.T) {
	ctx := context.Background()
	fb, db, accounts := openFaulty(t)
	services := record(db.Kit().Services())

	fb.Set(faulty.Fault{Down: true})
	_, err := accounts.Get(ctx, "a")
	require.ErrorIs(t, err, faulty.ErrInjected)
	require.ErrorIs(t, accounts.Put(ctx, account{ID: "a"}), faulty.ErrInjected)
	require.ErrorIs(t, db.Update(ctx, func(*store.Tx) error { return nil }), faulty.ErrInjected)
	require.ErrorIs(t, db.Flush(ctx), faulty.ErrInjected)
	fb.Set(faulty.Fault{Latency: time.Second})
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err = accounts.Get(short, "a")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	db.Circuit().Await()

	assert.Equal(t, []string{"CALL/RELEASE", "FAIL/RELEASE", "CALL/RELEASE", "FAIL/RELEASE", "CALL/RELEASE", "EXPIRE/RELEASE"},
		services.on("store.account"))
	assert.Equal(t, []string{"CALL/RELEASE", "FAIL/RELEASE", "CALL/RELEASE", "FAIL/RELEASE"}, services.on("db"),
		"the engine's failure, not the caller's")
	_, ops := storeCounters(t, db, "account")
	assert.Equal(t, uint64(2), ops["get"].Errors, "an expired deadline is an error")
	assert.Equal(t, uint64(1), ops["put"].Errors)
}

// retrying is an engine that runs every transaction's function twice, as
// an optimistic engine does after losing a race.
type retrying struct{ backend.Backend }

func (r retrying) Update(ctx context.Context, fn func(backend.Txn) error) error {
	errAgain := errors.New("again")
	if err := r.Backend.Update(ctx, func(tx backend.Txn) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errAgain
	}); !errors.Is(err, errAgain) {
		return err
	}
	return r.Backend.Update(ctx, fn)
}

func TestMonitoringRetries(t *testing.T) {
	db, err := store.Open(retrying{memory.New()})
	require.NoError(t, err)
	defer db.Close()
	accounts := store.NewTable(db, &accountSchema)
	services := record(db.Kit().Services())
	require.NoError(t, accounts.Put(context.Background(), account{ID: "a"}))
	db.Circuit().Await()
	assert.Equal(t, []string{"RETRY/RELEASE"}, services.on("db"))
	assert.Equal(t, []string{"CALL/RELEASE", "SUCCESS/RELEASE"}, services.on("store.account"))
	assert.Equal(t, uint64(1), db.Counters().Retries)
}

func TestMonitoringCommitLock(t *testing.T) {
	ctx := context.Background()
	db, accounts := openDB(t)
	resources := record(db.Kit().Resources())

	require.NoError(t, accounts.Put(ctx, account{ID: "a"}))
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Update(ctx, func(*store.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, accounts.Put(short, account{ID: "b"}), context.DeadlineExceeded)
	close(release)
	require.NoError(t, <-done)
	db.Circuit().Await()

	assert.Equal(t, []string{
		"{ATTEMPT 1}", "{GRANT 1}", "{RELEASE 1}", // the first Put
		"{ATTEMPT 1}", "{GRANT 1}", // the Update that holds the lock
		"{ATTEMPT 1}", "{DENY 1}", "{ACQUIRE 1}", "{TIMEOUT 1}", // the Put that waits
		"{RELEASE 1}",
	}, resources.on("db.commit"))
	c := db.Counters()
	assert.Equal(t, uint64(1), c.CommitWaits)
	assert.Equal(t, uint64(1), c.CommitTimeouts)
	_, ops := storeCounters(t, db, "account")
	assert.Equal(t, uint64(1), ops["put"].Errors, "a Put that timed out waiting expired")
}

func TestMonitoringQueueOverflow(t *testing.T) {
	ctx := context.Background()
	db, accounts := openDB(t)
	queues := record(db.Kit().Queues())
	sub := accounts.Watch(ctx, store.Buffer(1), store.OnOverflow(store.DropNewest))
	defer sub.Close()
	for _, id := range []string{"a", "b", "c"} {
		require.NoError(t, accounts.Put(ctx, account{ID: id, Email: id}))
	}
	db.Circuit().Await()
	assert.Equal(t, []string{"{OVERFLOW 1}", "{OVERFLOW 1}"}, queues.on("store.account"))
	sc, _ := storeCounters(t, db, "account")
	assert.Equal(t, 1, sc.Subscribers)
	assert.Equal(t, 1, sc.Lag)
	assert.Equal(t, uint64(2), sc.Dropped)
	assert.Equal(t, sub.Dropped(), sc.Dropped)
}

func TestMonitoringOff(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New(), store.WithMonitoring(false))
	require.NoError(t, err)
	defer db.Close()
	accounts := store.NewTable(db, &accountSchema)
	services := record(db.Kit().Services())
	ops := db.WatchOps(ctx)
	defer ops.Close()
	require.NoError(t, accounts.Put(ctx, account{ID: "a"}))
	_, err = accounts.Get(ctx, "a")
	require.NoError(t, err)
	db.Circuit().Await()

	assert.Empty(t, services.on("store.account"))
	assert.Equal(t, serventis.Status{Condition: serventis.Stable, Confidence: serventis.Tentative}, accounts.Status())
	assert.Equal(t, serventis.Stable, db.Status().Condition)
	assert.Equal(t, serventis.Normal, db.Situation())
	assert.Zero(t, accounts.Performance().Operations)
	_, counted := storeCounters(t, db, "account")
	assert.Empty(t, counted)
	// Operation events do not depend on monitoring.
	e := <-ops.C()
	assert.Equal(t, store.OpPut, e.Op)
	assert.Positive(t, e.Duration)
}

// TestMonitoringJudges drives the assessors on a fake clock: failures make
// the store and the backend DOWN, the DB's situation CRITICAL, and the
// Monitors and the Reporter say so on the Kit.
func TestMonitoringJudges(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{}
	fb, db, accounts := openFaulty(t, store.WithAssessorConfig(serventis.AssessorConfig{Clock: clock.Now}))
	monitors, reporters := record(db.Kit().Monitors()), record(db.Kit().Reporters())
	require.NoError(t, accounts.Put(ctx, account{ID: "a"}))

	fb.Set(faulty.Fault{Down: true})
	for range 50 {
		_, err := accounts.Get(ctx, "a")
		require.Error(t, err)
	}
	clock.Advance(150 * time.Millisecond)
	assert.Equal(t, serventis.Down, accounts.Status().Condition)
	assert.Equal(t, serventis.Down, db.Status().Condition)
	assert.Equal(t, serventis.Critical, db.Situation())
	perf := accounts.Performance()
	assert.Equal(t, "account", perf.Store)
	assert.Equal(t, serventis.Down, perf.Condition)
	assert.Equal(t, uint64(51), perf.Operations)
	assert.InDelta(t, 50.0/51, perf.ErrorRate, 1e-9)
	p, ok := db.StorePerformance("account")
	require.True(t, ok)
	assert.Equal(t, perf.Operations, p.Operations)
	_, ok = db.StorePerformance("nothing")
	assert.False(t, ok)
	assert.Equal(t, uint64(51), db.Performance().Operations)

	db.Circuit().Await()
	assert.Equal(t, []string{"DOWN/TENTATIVE"}, monitors.on("store.account"))
	assert.Equal(t, []string{"DOWN/TENTATIVE"}, monitors.on("backend"))
	assert.Equal(t, []string{"CRITICAL"}, reporters.on("db"))
}

// withPath is an engine whose files live in dir, as far as monitoring
// knows, with the figures of a cache layer.
type withPath struct {
	backend.Backend
	dir          string
	hits, misses atomic.Int64
}

func (w *withPath) Path() string { return w.dir }

func (w *withPath) Stats(ctx context.Context) (backend.Stats, error) {
	st, err := w.Backend.Stats(ctx)
	st.DiskBytes = 4096
	st.Figures = map[string]int64{"cache_hits": w.hits.Load(), "cache_misses": w.misses.Load()}
	return st, err
}

func TestResourcesAndCacheHitRate(t *testing.T) {
	b := &withPath{Backend: memory.New(), dir: t.TempDir()}
	b.hits.Store(3)
	b.misses.Store(1)
	db, err := store.Open(b)
	require.NoError(t, err)
	defer db.Close()

	res := db.Resources()
	assert.Positive(t, res.Memory.Used)
	assert.Positive(t, res.Memory.Capacity)
	assert.InDelta(t, float64(res.Memory.Used)/float64(res.Memory.Capacity), res.Memory.Utilisation, 1e-9)
	assert.Equal(t, serventis.Measured, res.Memory.Confidence)
	assert.Equal(t, int64(4096), res.Disk.Used)
	assert.Positive(t, res.Disk.Capacity)
	assert.Positive(t, res.Disk.Utilisation)
	assert.Less(t, res.Disk.Utilisation, 1.0)
	assert.Equal(t, serventis.Confirmed, res.Disk.Confidence)
	assert.True(t, res.Backend.Available)
	assert.Equal(t, "memory", res.Backend.Engine)
	assert.Nil(t, res.Network)
	_, err = json.Marshal(res)
	require.NoError(t, err)

	// The reading Resources took serves Performance, which never waits.
	perf := db.Performance()
	assert.True(t, perf.CacheLayer)
	assert.InDelta(t, 0.75, perf.CacheHitRate, 1e-9)

	// Without a path the disk's capacity is unknown.
	db2, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db2.Close()
	res = db2.Resources()
	assert.Zero(t, res.Disk.Capacity)
	assert.Equal(t, serventis.Status{Condition: serventis.Stable, Confidence: serventis.Tentative},
		serventis.Status{Condition: res.Disk.Condition, Confidence: res.Disk.Confidence})
	assert.False(t, db2.Performance().CacheLayer)
}

func TestProbe(t *testing.T) {
	probe := store.NewProbe("remote")
	probe.RoundTrip(time.Millisecond, nil) // before Open: counted only
	db, err := store.Open(memory.New(), store.WithProbe(probe))
	require.NoError(t, err)
	defer db.Close()
	probes := record(db.Kit().Probes())
	probe.RoundTrip(2*time.Millisecond, nil)
	probe.RoundTrip(3*time.Millisecond, errors.New("connection reset"))
	db.Circuit().Await()

	assert.Equal(t, []string{"RECEIVE/SUCCEED/RELEASE", "RECEIVE/FAIL/RELEASE"}, probes.on("network.remote"))
	c := db.Counters().Probe
	assert.Equal(t, "remote", c.Name)
	assert.Equal(t, uint64(3), c.RoundTrips)
	assert.Equal(t, uint64(1), c.Errors)
	assert.Equal(t, uint64(3), c.Latency.Count)
	net := db.Resources().Network
	require.NotNil(t, net)
	assert.Equal(t, "remote", net.Probe)
	assert.Equal(t, uint64(3), net.RoundTrips)
	assert.Panics(t, func() { store.NewProbe("not a name") })
}

// TestSamplingAtHighRates checks that a busy store times a sample of its
// operations, and that the latency histogram still estimates them all.
func TestSamplingAtHighRates(t *testing.T) {
	ctx := context.Background()
	db, accounts := openDB(t)
	require.NoError(t, accounts.Put(ctx, account{ID: "a"}))
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		for range 1000 {
			_, err := accounts.Get(ctx, "a")
			require.NoError(t, err)
		}
	}
	_, ops := storeCounters(t, db, "account")
	get := ops["get"]
	assert.Greater(t, get.Calls, uint64(20000))
	var timed uint64
	for _, n := range get.Latency.Buckets {
		timed += n
	}
	assert.Equal(t, get.Latency.Count, timed)
	assert.InDelta(t, float64(get.Calls), float64(get.Latency.Count), 0.25*float64(get.Calls),
		"each timed operation stands for its sampling period")
	perf := accounts.Performance()
	assert.Greater(t, perf.Operations, uint64(0))
}
