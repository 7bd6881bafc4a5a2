package etcdtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, etcdtest.LeakOptions()...)
}

// TestCluster checks that a three-member cluster replicates, keeps serving
// with one member stopped, and that the member comes back on its address
// with its data and what it missed.
func TestCluster(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	require.Len(t, c.Endpoints(), 3)
	cli := c.Client(t)
	ctx := t.Context()
	_, err := cli.Put(ctx, "before", "1")
	require.NoError(t, err)

	leaders := 0
	for i := range 3 {
		if c.Member(i).IsLeader() {
			leaders++
		}
	}
	require.Equal(t, 1, leaders)

	follower := c.Member(0)
	if follower.IsLeader() {
		follower = c.Member(1)
	}
	follower.Stop()
	assert.False(t, follower.IsLeader())
	_, err = cli.Put(ctx, "while down", "2")
	require.NoError(t, err)
	require.NoError(t, follower.Restart())

	// A serializable read is answered from the member's own data, which
	// holds what was written while it was down.
	own, err := clientv3.New(clientv3.Config{Endpoints: []string{follower.Endpoint()}, Logger: zap.NewNop()})
	require.NoError(t, err)
	defer own.Close()
	resp, err := own.Get(ctx, "while down", clientv3.WithSerializable())
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	assert.Equal(t, "2", string(resp.Kvs[0].Value))
}
