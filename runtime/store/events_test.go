package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/codec"
	"github.com/synapsed/storegen/runtime/store"
	"github.com/synapsed/storegen/runtime/substrates"
)

type accountEvent = store.Event[string, account]

// receive reads n events or fails after a timeout.
func receive(t *testing.T, sub *store.Subscription[accountEvent], n int) []accountEvent {
	t.Helper()
	out := make([]accountEvent, 0, n)
	timeout := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case e, ok := <-sub.C():
			require.True(t, ok, "subscription closed after %d of %d events: %v", len(out), n, sub.Err())
			out = append(out, e)
		case <-timeout:
			t.Fatalf("got %d of %d events", len(out), n)
		}
	}
	return out
}

// quiet asserts that no event arrives for a short while.
func quiet(t *testing.T, sub *store.Subscription[accountEvent]) {
	t.Helper()
	select {
	case e, ok := <-sub.C():
		if ok {
			t.Fatalf("unexpected event %+v", e)
		}
	case <-time.After(50 * time.Millisecond):
	}
}

func TestEventsAfterCommitInOrder(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			db, accounts := openOn(t, eng)
			sub := accounts.Watch(ctx)
			defer sub.Close()

			require.NoError(t, db.Update(ctx, func(tx *store.Tx) error {
				in := accounts.In(tx)
				require.NoError(t, in.Put(account{ID: "a", Email: "a"}))
				require.NoError(t, in.Put(account{ID: "b", Email: "b"}))
				require.NoError(t, in.Put(account{ID: "a", Email: "a2"}))
				_, err := in.Delete("b")
				require.NoError(t, err)
				quiet(t, sub) // nothing before commit
				return nil
			}))
			evs := receive(t, sub, 4)
			kinds := []store.EventKind{evs[0].Kind, evs[1].Kind, evs[2].Kind, evs[3].Kind}
			assert.Equal(t, []store.EventKind{store.Created, store.Created, store.Updated, store.Deleted}, kinds)
			assert.Equal(t, "a", evs[2].Old.Email)
			assert.Equal(t, "a2", evs[2].New.Email)
			assert.Equal(t, "b", evs[3].Old.ID)
			for i, e := range evs {
				assert.Equal(t, evs[0].TxID, e.TxID, "one transaction, one TxID")
				assert.Equal(t, evs[0].Seq+uint64(i), e.Seq, "contiguous Seq")
				assert.False(t, e.Time.IsZero())
			}

			// A rolled-back transaction publishes nothing.
			err := db.Update(ctx, func(tx *store.Tx) error {
				require.NoError(t, accounts.In(tx).Put(account{ID: "c", Email: "c"}))
				return errors.New("no")
			})
			require.Error(t, err)
			quiet(t, sub)

			// A unique conflict publishes nothing either.
			require.ErrorIs(t, accounts.Put(ctx, account{ID: "z", Email: "a2"}), store.ErrConflict)
			quiet(t, sub)

			require.NoError(t, accounts.Put(ctx, account{ID: "d", Email: "d"}))
			next := receive(t, sub, 1)[0]
			assert.Equal(t, evs[3].Seq+1, next.Seq)
			assert.Greater(t, next.TxID, evs[3].TxID)
		})
	}
}

func TestConcurrentWritersReplayToFinalState(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			db, accounts := openOn(t, eng)
			const writers, ops, subscribers = 8, 1500, 3
			total := writers * ops
			var subs []*store.Subscription[accountEvent]
			for range subscribers {
				subs = append(subs, accounts.Watch(ctx, store.Buffer(total+1)))
			}

			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range ops {
						id := fmt.Sprintf("k%03d", (w*7+i)%97)
						if i%5 == 4 {
							_, err := accounts.Delete(ctx, id)
							assert.NoError(t, err)
							continue
						}
						assert.NoError(t, accounts.Put(ctx, account{ID: id, Email: fmt.Sprintf("%d-%d", w, i), Age: i}))
					}
				}()
			}
			wg.Wait()

			final := map[string]account{}
			for v, err := range accounts.Scan(ctx) {
				require.NoError(t, err)
				final[v.ID] = v
			}
			require.NoError(t, db.Close())
			for _, sub := range subs {
				replayed := map[string]account{}
				var last uint64
				n := 0
				for e := range sub.C() {
					require.Greater(t, e.Seq, last, "Seq strictly increasing")
					last = e.Seq
					n++
					switch e.Kind {
					case store.Created, store.Updated:
						replayed[e.Key] = e.New
					case store.Deleted:
						delete(replayed, e.Key)
					}
				}
				assert.Equal(t, final, replayed)
				assert.Zero(t, sub.Dropped())
				assert.Equal(t, uint64(n), sub.Published())
				assert.ErrorIs(t, sub.Err(), store.ErrClosed)
			}
		})
	}
}

func TestSlowSubscriberNeverBlocksWriters(t *testing.T) {
	for _, policy := range []store.Overflow{store.DropOldest, store.DropNewest, store.Disconnect} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			ctx := context.Background()
			db, accounts := openOn(t, engines[0])
			sub := accounts.Watch(ctx, store.Buffer(8), store.OnOverflow(policy))
			const n = 2000
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := range n {
					assert.NoError(t, accounts.Put(ctx, account{ID: fmt.Sprint(i), Email: fmt.Sprint(i)}))
				}
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("writers blocked by a subscriber that never reads")
			}
			db.Circuit().Await()
			if policy == store.Disconnect {
				require.Eventually(t, func() bool { return errors.Is(sub.Err(), store.ErrSlowConsumer) }, 5*time.Second, time.Millisecond)
			}
			sub.Close()
			received := 0
			var lastSeq uint64
			for e := range sub.C() {
				received++
				assert.Greater(t, e.Seq, lastSeq)
				lastSeq = e.Seq
			}
			assert.Positive(t, sub.Dropped())
			assert.Equal(t, sub.Published(), uint64(received)+sub.Dropped(), "delivered + dropped = published")
			if policy == store.DropOldest {
				assert.Equal(t, uint64(db.LastSeq()), lastSeq, "drop-oldest keeps the newest")
			}
		})
	}
}

func TestWatchFilters(t *testing.T) {
	ctx := context.Background()
	_, accounts := openOn(t, engines[0])
	byKey := accounts.Watch(ctx, store.WatchKey("b"))
	byRange := accounts.Watch(ctx, store.WatchRange("b", "d"))
	deletes := accounts.Watch(ctx, store.Kinds(store.Deleted))
	wrong := accounts.Watch(ctx, store.WatchKey(42))
	_, open := <-wrong.C()
	assert.False(t, open)
	assert.ErrorContains(t, wrong.Err(), "key filter 42 of type int does not convert to the store's key type string")

	for _, id := range []string{"a", "b", "c", "d"} {
		require.NoError(t, accounts.Put(ctx, account{ID: id, Email: id}))
	}
	_, err := accounts.Delete(ctx, "a")
	require.NoError(t, err)

	assert.Equal(t, "b", receive(t, byKey, 1)[0].Key)
	got := receive(t, byRange, 2)
	assert.Equal(t, []string{"b", "c"}, []string{got[0].Key, got[1].Key})
	d := receive(t, deletes, 1)[0]
	assert.Equal(t, store.Deleted, d.Kind)
	assert.Equal(t, "a", d.Key)
	quiet(t, byKey)
	quiet(t, byRange)
}

// TestWatchKeyConverts watches a uint16-keyed store with untyped constants,
// which Go infers as int.
func TestWatchKeyConverts(t *testing.T) {
	ctx := context.Background()
	db, _ := openOn(t, engines[0])
	byAge := store.NewTable(db, &store.Schema[uint16, account]{
		Name:      "byage",
		AppendKey: func(dst []byte, k uint16) []byte { return codec.AppendKeyUint(dst, uint64(k)) },
		KeyOf:     func(v *account) uint16 { return uint16(v.Age) },
		Encode:    encodeAccount,
		Decode:    decodeAccount,
	})
	seven := byAge.Watch(ctx, store.WatchKey(7))
	defer seven.Close()
	teens := byAge.Watch(ctx, store.WatchRange(13, 20))
	defer teens.Close()
	negative := byAge.Watch(ctx, store.WatchKey(-7))
	_, open := <-negative.C()
	assert.False(t, open)
	assert.ErrorContains(t, negative.Err(), "does not convert")

	for _, age := range []int{6, 7, 13, 19, 20} {
		require.NoError(t, byAge.Put(ctx, account{ID: fmt.Sprint(age), Age: age}))
	}
	select {
	case e := <-seven.C():
		assert.Equal(t, uint16(7), e.Key)
	case <-time.After(5 * time.Second):
		t.Fatal("no event for key 7")
	}
	for _, want := range []uint16{13, 19} {
		select {
		case e := <-teens.C():
			assert.Equal(t, want, e.Key)
		case <-time.After(5 * time.Second):
			t.Fatalf("no event for key %d", want)
		}
	}
	select {
	case e := <-seven.C():
		t.Fatalf("unexpected event %+v", e)
	case e := <-teens.C():
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestWatchExistingThenLive(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			_, accounts := openOn(t, eng)
			for i := range 300 {
				require.NoError(t, accounts.Put(ctx, account{ID: fmt.Sprintf("k%04d", i), Email: fmt.Sprint(i)}))
			}
			// Writers keep going while the watch starts: every record must
			// show up exactly once as of some Seq, with no gap after.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 300; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					assert.NoError(t, accounts.Put(ctx, account{ID: fmt.Sprintf("k%04d", i%400), Email: fmt.Sprint(i)}))
				}
			}()
			time.Sleep(5 * time.Millisecond)
			sub := accounts.Watch(ctx, store.Existing(), store.Buffer(1<<16))
			time.Sleep(20 * time.Millisecond)
			close(stop)
			wg.Wait()

			final := map[string]account{}
			for v, err := range accounts.Scan(ctx) {
				require.NoError(t, err)
				final[v.ID] = v
			}
			replayed := map[string]account{}
			var snapshotSeq, last uint64
			for len(replayed) < len(final) || !mapsEqual(replayed, final) {
				select {
				case e := <-sub.C():
					if e.TxID == 0 { // an existing record
						_, dup := replayed[e.Key]
						require.False(t, dup, "existing record %s delivered twice", e.Key)
						snapshotSeq = e.Seq
					} else {
						require.Greater(t, e.Seq, max(last, snapshotSeq), "live events follow the snapshot without overlap")
						last = e.Seq
					}
					replayed[e.Key] = e.New
				case <-time.After(5 * time.Second):
					t.Fatalf("replay incomplete: %d of %d records", len(replayed), len(final))
				}
			}
			sub.Close()
			assert.Zero(t, sub.Dropped())
		})
	}
}

func mapsEqual(a, b map[string]account) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWatchEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, accounts := openOn(t, engines[0])
	sub := accounts.Watch(ctx)
	cancel()
	select {
	case _, ok := <-sub.C():
		assert.False(t, ok)
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the context did not close the subscription")
	}
	assert.ErrorIs(t, sub.Err(), context.Canceled)
	require.NoError(t, accounts.Put(context.Background(), account{ID: "x", Email: "x"}))
}

func TestWatchExistingHonoursFilters(t *testing.T) {
	ctx := context.Background()
	_, accounts := openOn(t, engines[0])
	for _, id := range []string{"a", "b", "c", "d"} {
		require.NoError(t, accounts.Put(ctx, account{ID: id, Email: id}))
	}
	sub := accounts.Watch(ctx, store.Existing(), store.WatchRange("b", "d"))
	defer sub.Close()
	got := receive(t, sub, 2)
	assert.Equal(t, []string{"b", "c"}, []string{got[0].Key, got[1].Key})
	assert.Equal(t, store.Created, got[0].Kind)
	require.NoError(t, accounts.Put(ctx, account{ID: "a", Email: "a2"}))
	require.NoError(t, accounts.Put(ctx, account{ID: "c", Email: "c2"}))
	live := receive(t, sub, 1)[0]
	assert.Equal(t, "c", live.Key)
	assert.Equal(t, store.Updated, live.Kind)
}

func TestOpAndTxStreams(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(engines[0].open(t))
	require.NoError(t, err)
	defer db.Close()
	schema := accountSchema
	schema.Name = "vault"
	schema.SensitiveKey = true
	vault := store.NewTable(db, &schema)
	accounts := store.NewTable(db, &accountSchema)

	ops := db.WatchOps(ctx)
	txs := db.WatchTx(ctx)
	require.NoError(t, accounts.Put(ctx, account{ID: "a1", Email: "a", Secret: "hunter2"}))
	_, err = accounts.Get(ctx, "a1")
	require.NoError(t, err)
	_, err = vault.Get(ctx, "secret-key")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Error(t, db.Update(ctx, func(tx *store.Tx) error {
		require.NoError(t, accounts.In(tx).Put(account{ID: "a2", Email: "b"}))
		return errors.New("abort")
	}))
	db.Circuit().Await()
	ops.Close()
	txs.Close()

	var opLog []string
	for e := range ops.C() {
		assert.NotContains(t, fmt.Sprint(e), "hunter2", "no record values in op events")
		opLog = append(opLog, fmt.Sprintf("%s %s %s err=%v", e.Op, e.Store, e.Key, e.Err != nil))
		assert.Positive(t, e.Duration)
	}
	assert.Equal(t, []string{
		`put account a1 err=false`,
		`get account a1 err=false`,
		`get vault [redacted] err=true`,
		`put account a2 err=false`,
	}, opLog)

	var txLog []string
	var ids []uint64
	for e := range txs.C() {
		txLog = append(txLog, e.Kind.String())
		ids = append(ids, e.TxID)
	}
	assert.Equal(t, []string{"begin", "commit", "begin", "rollback"}, txLog)
	assert.Equal(t, ids[0], ids[1])
	assert.Equal(t, ids[2], ids[3])
	assert.NotEqual(t, ids[0], ids[2])
}

// TestWithCircuit: options given to Open reach the DB's circuit: here,
// OnPanic learns of a subscriber's pipe that panics, and the writer does
// not.
func TestWithCircuit(t *testing.T) {
	ctx := context.Background()
	panics := make(chan any, 1)
	db, err := store.Open(engines[0].open(t), store.WithCircuit(
		substrates.OnPanic(func(_ substrates.Subject, r any) { panics <- r }),
		substrates.SpinFor(0),
	))
	require.NoError(t, err)
	defer db.Close()
	accounts := store.NewTable(db, &accountSchema)
	sub := accounts.Conduit().Subscribe(func(_ substrates.Subject, r substrates.Registrar[accountEvent]) {
		r.Register(substrates.PipeFunc[accountEvent](func(accountEvent) { panic("subscriber fails") }))
	})
	defer sub.Close()
	require.NoError(t, accounts.Put(ctx, account{ID: "a", Email: "a@x"}))
	select {
	case r := <-panics:
		require.Equal(t, "subscriber fails", r)
	case <-time.After(5 * time.Second):
		t.Fatal("OnPanic was not called: the option did not reach the circuit")
	}
}
