package store_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/etcd"
	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/store"
)

// feedHandle opens a DB following the feed of an etcd Backend on the given
// endpoints, with a Probe on its round trips.
func feedHandle(t *testing.T, name string, endpoints []string, wrap func(*etcd.Backend) backend.Backend) (*store.DB, *store.Table[string, account]) {
	t.Helper()
	probe := store.NewProbe("etcd")
	b, err := etcd.Open(t.Context(), endpoints, etcd.Prefix("feed/"),
		etcd.RequestTimeout(500*time.Millisecond), etcd.OnRoundTrip(probe.RoundTrip))
	require.NoError(t, err)
	var be backend.Backend = b
	if wrap != nil {
		be = wrap(b)
	}
	db, err := store.Open(be, store.WithName(name), store.WithFeed(), store.WithProbe(probe))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, store.NewTable(db, &accountSchema)
}

// change is what two handles must agree on about an event: TxID is the
// etcd revision, the same on every handle.
type change struct {
	TxID uint64
	Kind store.EventKind
	Key  string
	Age  int
}

// receiveFeed takes n events from sub, failing the test if they do not come.
func receiveFeed(t *testing.T, sub *store.Subscription[store.Event[string, account]], n int) []change {
	t.Helper()
	var got []change
	timeout := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case e, ok := <-sub.C():
			require.True(t, ok, "subscription ended: %v", sub.Err())
			v := e.New
			if e.Kind == store.Deleted {
				v = e.Old
			}
			got = append(got, change{e.TxID, e.Kind, e.Key, v.Age})
		case <-timeout:
			require.FailNow(t, "events missing", "got %d of %d: %v", len(got), n, got)
		}
	}
	return got
}

// quietFeed checks that sub delivers nothing more for a moment: no duplicate.
func quietFeed(t *testing.T, sub *store.Subscription[store.Event[string, account]]) {
	t.Helper()
	select {
	case e := <-sub.C():
		t.Errorf("unexpected event %v %s (TxID %d)", e.Kind, e.Key, e.TxID)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestFeedAcrossMembers runs two DBs on different members of a 3-member
// cluster: each sees both handles' writes as typed events, in revision
// order, exactly once. With one handle's member stopped, that handle's
// operations fail, its backend monitor leaves STABLE and its probe signals
// FAIL, while the other handle writes on; when the member returns, the
// stalled handle resumes from its last revision, and both event sequences
// are still identical.
func TestFeedAcrossMembers(t *testing.T) {
	cluster := etcdtest.StartCluster(t, 3)
	ctx := t.Context()
	dbA, a := feedHandle(t, "a", []string{cluster.Member(0).Endpoint()}, nil)
	dbB, b := feedHandle(t, "b", []string{cluster.Member(1).Endpoint()}, nil)
	subA, subB := a.Watch(ctx), b.Watch(ctx)
	defer subA.Close()
	defer subB.Close()

	for i := range 5 {
		require.NoError(t, a.Put(ctx, account{ID: fmt.Sprintf("a%d", i), Email: fmt.Sprintf("a%d@x", i), Age: i}))
		require.NoError(t, b.Put(ctx, account{ID: fmt.Sprintf("b%d", i), Email: fmt.Sprintf("b%d@x", i), Age: i}))
	}
	require.NoError(t, dbB.Update(ctx, func(tx *store.Tx) error {
		in := b.In(tx)
		for i := range 3 {
			if err := in.Put(account{ID: fmt.Sprintf("t%d", i), Email: fmt.Sprintf("t%d@x", i), Age: 10 + i}); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, a.Put(ctx, account{ID: "b0", Email: "b0@x", Age: 99})) // a updates b's record
	_, err := a.Delete(ctx, "a0")
	require.NoError(t, err)

	const n = 10 + 3 + 2
	gotA, gotB := receiveFeed(t, subA, n), receiveFeed(t, subB, n)
	require.Equal(t, gotA, gotB, "both handles see the same history")
	for i := 1; i < n; i++ {
		require.LessOrEqual(t, gotA[i-1].TxID, gotA[i].TxID, "revision order")
	}
	assert.Equal(t, change{gotA[10].TxID, store.Created, "t0", 10}, gotA[10])
	assert.Equal(t, gotA[10].TxID, gotA[12].TxID, "one transaction, one revision")
	assert.Equal(t, store.Updated, gotA[13].Kind)
	assert.Equal(t, change{gotA[14].TxID, store.Deleted, "a0", 0}, gotA[14])

	// A's member goes away.
	probes := record(dbA.Kit().Probes())
	cluster.Member(0).Stop()
	for i := range 4 {
		require.NoError(t, b.Put(ctx, account{ID: fmt.Sprintf("c%d", i), Email: fmt.Sprintf("c%d@x", i), Age: 20 + i}), "writes through B go on")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := a.Get(ctx, "b1")
			assert.Error(t, err, "A's member is down")
		})
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		c := dbA.Status().Condition
		return c == serventis.Degraded || c == serventis.Down || c == serventis.Defective
	}, 10*time.Second, 20*time.Millisecond, "A's backend monitor: %v", dbA.Status())
	dbA.Circuit().Await()
	assert.Contains(t, probes.on("network.etcd"), "RECEIVE/FAIL/RELEASE")
	assert.Positive(t, dbA.Counters().Probe.Errors)

	// It returns: A resumes where it stopped.
	require.NoError(t, cluster.Member(0).Restart())
	gotA, gotB = receiveFeed(t, subA, 4), receiveFeed(t, subB, 4)
	require.Equal(t, gotB, gotA, "A caught up with exactly B's writes")
	assert.Equal(t, "c0", gotA[0].Key)
	require.NoError(t, a.Put(ctx, account{ID: "z", Email: "z@x", Age: 7}))
	gotA, gotB = receiveFeed(t, subA, 1), receiveFeed(t, subB, 1)
	require.Equal(t, gotA, gotB)
	assert.Equal(t, "z", gotA[0].Key)
	quietFeed(t, subA)
	quietFeed(t, subB)
}

// heldFeed holds back the first Changes call of an etcd Backend until
// release is closed: a fault injected to make a DB fall behind the
// cluster's history.
type heldFeed struct {
	*etcd.Backend
	release chan struct{}
	once    sync.Once
}

func (h *heldFeed) Changes(ctx context.Context, after int64) iter.Seq2[backend.ChangeSet, error] {
	return func(yield func(backend.ChangeSet, error) bool) {
		h.once.Do(func() {
			select {
			case <-h.release:
			case <-ctx.Done():
			}
		})
		for cs, err := range h.Backend.Changes(ctx, after) {
			if !yield(cs, err) {
				return
			}
		}
	}
}

// TestFeedCompactedResync makes a DB's feed fall behind a compaction: its
// subscriptions end with ErrResync (wrapping backend.ErrCompacted), never
// silently; watching again with Existing() delivers the current records
// and then live changes.
func TestFeedCompactedResync(t *testing.T) {
	cluster := etcdtest.Start(t)
	ctx := t.Context()
	held := &heldFeed{release: make(chan struct{})}
	_, a := feedHandle(t, "a", cluster.Endpoints(), func(b *etcd.Backend) backend.Backend { held.Backend = b; return held })
	_, b := feedHandle(t, "b", cluster.Endpoints(), nil)
	sub := a.Watch(ctx)
	defer sub.Close()
	for i := range 3 {
		require.NoError(t, b.Put(ctx, account{ID: fmt.Sprintf("k%d", i), Email: fmt.Sprintf("k%d@x", i), Age: i}))
	}
	cli := cluster.Client(t)
	rev, err := held.Revision(ctx)
	require.NoError(t, err)
	_, err = cli.Compact(ctx, rev)
	require.NoError(t, err)
	close(held.release)

	for range sub.C() {
		t.Fatal("no event may arrive across the compacted gap")
	}
	require.ErrorIs(t, sub.Err(), store.ErrResync)
	require.ErrorIs(t, sub.Err(), backend.ErrCompacted)

	again := a.Watch(ctx, store.Existing())
	defer again.Close()
	got := receiveFeed(t, again, 3)
	assert.Equal(t, []string{"k0", "k1", "k2"}, []string{got[0].Key, got[1].Key, got[2].Key})
	require.NoError(t, b.Put(ctx, account{ID: "k3", Email: "k3@x", Age: 3}))
	got = receiveFeed(t, again, 1)
	assert.Equal(t, change{got[0].TxID, store.Created, "k3", 3}, got[0])
	quietFeed(t, again)
}

// TestWithFeedNeedsAFeed checks that Open refuses WithFeed on an engine
// without a change feed.
func TestWithFeedNeedsAFeed(t *testing.T) {
	b := memory.New()
	defer b.Close()
	_, err := store.Open(b, store.WithFeed())
	require.ErrorContains(t, err, "no change feed")
	assert.False(t, errors.Is(err, store.ErrClosed))
}
