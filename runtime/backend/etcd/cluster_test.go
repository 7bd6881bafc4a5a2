package etcd_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/etcd"
	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
)

// TestCluster writes through one member of a three-member cluster and
// reads through another: reads are linearizable, so every commit is seen at
// once, also while a member is down and after it came back.
func TestCluster(t *testing.T) {
	// A longer election timeout keeps a busy machine from electing new
	// leaders mid-test.
	cluster := etcdtest.StartCluster(t, 3, etcdtest.ElectionTimeout(time.Second))
	const prefix = "cluster/"
	through := func(m *etcdtest.Member) *etcd.Backend {
		return open(t, []string{m.Endpoint()}, prefix)
	}
	check := func(writer, reader *etcd.Backend, key, value string) {
		t.Helper()
		ctx := t.Context()
		require.NoError(t, writer.Update(ctx, func(txn backend.Txn) error {
			return txn.Set([]byte(key), []byte(value))
		}))
		got, err := reader.Get(ctx, []byte(key), nil)
		require.NoError(t, err)
		assert.Equal(t, value, string(got), "Get of %q", key)
		v, err := reader.View(ctx)
		require.NoError(t, err)
		defer v.Close()
		got, err = v.Get([]byte(key), nil)
		require.NoError(t, err)
		assert.Equal(t, value, string(got), "View.Get of %q", key)
	}

	m0, m2 := through(cluster.Member(0)), through(cluster.Member(2))
	for i := range 5 {
		check(m0, m2, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
	}

	// Stop a follower, so the cluster keeps its leader and its quorum, and
	// go on through the other two.
	down := 0
	for down < 3 && cluster.Member(down).IsLeader() {
		down++
	}
	stopped := cluster.Member(down)
	writer := through(cluster.Member((down + 1) % 3))
	reader := through(cluster.Member((down + 2) % 3))
	stopped.Stop()
	check(writer, reader, "while down", "still served")

	require.NoError(t, stopped.Restart())
	back := through(stopped)
	got, err := back.Get(t.Context(), []byte("while down"), nil)
	require.NoError(t, err, "a restarted member serves what it missed")
	assert.Equal(t, "still served", string(got))
	check(back, m0, "after restart", "v")
}

// TestCompaction checks that a view whose revision was compacted fails
// with ErrCompacted, which is a backend.ErrConflict, and that an Update
// whose reads met a compaction runs again on a fresh revision.
func TestCompaction(t *testing.T) {
	cluster := etcdtest.Start(t)
	cli := cluster.Client(t)
	b := open(t, cluster.Endpoints(), "compacted/")
	ctx := t.Context()
	set := func(key, value string) {
		require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
			return txn.Set([]byte(key), []byte(value))
		}))
	}
	compact := func(ctx context.Context) {
		resp, err := cli.Put(ctx, "elsewhere", "advances the revision")
		require.NoError(t, err)
		_, err = cli.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical())
		require.NoError(t, err)
	}
	set("a", "1")
	set("b", "2")

	v, err := b.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	it := v.Range(nil, nil, false)
	set("a", "10")
	compact(ctx)

	_, err = v.Get([]byte("a"), nil)
	require.ErrorIs(t, err, etcd.ErrCompacted)
	assert.ErrorIs(t, err, backend.ErrConflict)
	assert.ErrorContains(t, err, "compacted")
	assert.False(t, it.Next())
	assert.ErrorIs(t, it.Close(), etcd.ErrCompacted)

	fresh, err := b.View(ctx)
	require.NoError(t, err)
	defer fresh.Close()
	got, err := fresh.Get([]byte("a"), nil)
	require.NoError(t, err)
	assert.Equal(t, "10", string(got))

	calls := 0
	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		calls++
		a, err := txn.Get([]byte("a"), nil)
		if err != nil {
			return err
		}
		if calls == 1 {
			compact(ctx) // the transaction's revision is gone
		}
		c, err := txn.Get([]byte("b"), nil)
		if err != nil {
			return err
		}
		return txn.Set([]byte("sum"), append(a, c...))
	}))
	assert.Equal(t, 2, calls, "an Update whose reads met a compaction must run again")
	got, err = b.Get(ctx, []byte("sum"), nil)
	require.NoError(t, err)
	assert.Equal(t, "102", string(got))
}
