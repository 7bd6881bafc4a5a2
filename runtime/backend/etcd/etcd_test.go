package etcd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/compress"
	"github.com/synapsed/storegen/runtime/backend/conformance"
	"github.com/synapsed/storegen/runtime/backend/etcd"
	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
	"github.com/synapsed/storegen/runtime/backend/memory"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, etcdtest.LeakOptions()...)
}

// testTimeout is the request timeout of the tests' Backends: the suite
// commits 25,000 keys at once, which under the race detector on a busy
// machine takes seconds.
const testTimeout = time.Minute

// open opens a Backend on prefix that is closed when t ends.
func open(t *testing.T, endpoints []string, prefix string, opts ...etcd.Option) *etcd.Backend {
	t.Helper()
	opts = append([]etcd.Option{etcd.Prefix(prefix), etcd.RequestTimeout(testTimeout)}, opts...)
	b, err := etcd.Open(t.Context(), endpoints, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestConformance runs the shared suite on one single-member cluster; each
// engine the suite opens gets a prefix of its own, which makes it empty.
// A "file that is not a database" is, for etcd, a prefix holding keys that
// some other program wrote.
func TestConformance(t *testing.T) {
	// The suite's largest transactions take the server seconds to apply
	// under the race detector; the longer election timeout gives them 10 s.
	cluster := etcdtest.Start(t, etcdtest.ElectionTimeout(2500*time.Millisecond))
	var n atomic.Int64
	conformance.Run(t,
		func(t *testing.T) backend.Backend {
			return open(t, cluster.Endpoints(), fmt.Sprintf("conformance/%d/", n.Add(1)))
		},
		conformance.Reopen(func(t *testing.T, b backend.Backend) backend.Backend {
			require.NoError(t, b.Close())
			return open(t, cluster.Endpoints(), b.(*etcd.Backend).Prefix())
		}),
		conformance.NotADatabase(func(t *testing.T) error {
			prefix := fmt.Sprintf("foreign/%d/", n.Add(1))
			_, err := cluster.Client(t).Put(t.Context(), prefix+"config", "not storegen's")
			require.NoError(t, err)
			b, err := etcd.Open(t.Context(), cluster.Endpoints(), etcd.Prefix(prefix))
			if err == nil {
				b.Close()
			}
			return err
		}),
	)
}

// TestOpen checks which prefixes Open claims and which it refuses.
func TestOpen(t *testing.T) {
	cluster := etcdtest.Start(t)
	cli := cluster.Client(t)
	ctx := t.Context()
	_, err := cli.Put(ctx, "foreign/key", "v")
	require.NoError(t, err)
	_, err = cli.Put(ctx, "marked/", "some other program's marker")
	require.NoError(t, err)
	_, err = cli.Put(ctx, "outside", "a key next to the prefix, not under it")
	require.NoError(t, err)

	cases := []struct {
		name    string
		prefix  string
		corrupt bool   // the error must wrap backend.ErrCorrupt
		fails   string // the error must mention this; "" for success
	}{
		{name: "new prefix", prefix: "new/"},
		{name: "prefix beside other keys", prefix: "out/"},
		{name: "keys without a marker", prefix: "foreign/", corrupt: true, fails: `"foreign/key"`},
		{name: "another marker", prefix: "marked/", corrupt: true, fails: "some other program"},
		{name: "empty prefix", prefix: "", fails: "prefix must not be empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := etcd.Open(ctx, cluster.Endpoints(), etcd.Prefix(c.prefix))
			if c.fails == "" {
				require.NoError(t, err)
				require.NoError(t, b.Close())
				// Claimed once, the prefix opens again, now holding its marker.
				b, err = etcd.Open(ctx, cluster.Endpoints(), etcd.Prefix(c.prefix))
				require.NoError(t, err)
				require.NoError(t, b.Close())
				return
			}
			require.Error(t, err)
			assert.ErrorContains(t, err, c.fails)
			assert.Equal(t, c.corrupt, errors.Is(err, backend.ErrCorrupt), "wraps backend.ErrCorrupt: %v", err)
		})
	}

	t.Run("racing claims", func(t *testing.T) {
		errs := make(chan error, 4)
		for range cap(errs) {
			go func() {
				b, err := etcd.Open(ctx, cluster.Endpoints(), etcd.Prefix("raced/"))
				if err == nil {
					err = b.Close()
				}
				errs <- err
			}()
		}
		for range cap(errs) {
			assert.NoError(t, <-errs)
		}
	})

	t.Run("no endpoints", func(t *testing.T) {
		_, err := etcd.Open(ctx, nil)
		assert.ErrorContains(t, err, "no endpoints")
	})
}

// TestOpenUnreachable checks that Open gives up, with the context's error,
// when nothing listens at the endpoint.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := "http://" + l.Addr().String()
	require.NoError(t, l.Close())

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = etcd.Open(ctx, []string{endpoint})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, l.Addr().String())
	assert.NotErrorIs(t, err, backend.ErrCorrupt)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestTxnTooLarge checks that a commit beyond the server's request size
// fails with ErrTxnTooLarge and writes nothing.
func TestTxnTooLarge(t *testing.T) {
	cluster := etcdtest.Start(t)
	b := open(t, cluster.Endpoints(), "large/")
	value := make([]byte, 1<<20)
	err := b.Update(t.Context(), func(txn backend.Txn) error {
		for i := range etcdtest.MaxRequestBytes>>20 + 1 {
			if err := txn.Set(fmt.Appendf(nil, "k%d", i), value); err != nil {
				return err
			}
		}
		return nil
	})
	require.ErrorIs(t, err, etcd.ErrTxnTooLarge)
	assert.ErrorContains(t, err, "larger than max")
	st, err := b.Stats(t.Context())
	require.NoError(t, err)
	assert.Zero(t, st.Keys)
}

// TestStats checks the figures Stats reports beside the key count, which
// the conformance suite checks.
func TestStats(t *testing.T) {
	cluster := etcdtest.Start(t)
	b := open(t, cluster.Endpoints(), "stats/")
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		return txn.Set([]byte("k"), []byte("v"))
	}))
	st, err := b.Stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "etcd", st.Engine)
	assert.Equal(t, int64(1), st.Keys)
	for _, name := range []string{"revision", "raft_index", "raft_term", "db_size", "db_size_in_use"} {
		assert.Positive(t, st.Figures[name], name)
	}
	assert.Equal(t, st.Figures["db_size"], st.DiskBytes)
}

// TestOnRoundTrip checks that every request is reported, failures too.
func TestOnRoundTrip(t *testing.T) {
	cluster := etcdtest.Start(t)
	var calls, failures atomic.Int64
	b := open(t, cluster.Endpoints(), "probed/", etcd.OnRoundTrip(func(d time.Duration, err error) {
		calls.Add(1)
		if err != nil {
			failures.Add(1)
		}
		assert.Positive(t, d)
	}))
	require.Positive(t, calls.Load(), "Open's requests")
	calls.Store(0)

	ctx := t.Context()
	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		if _, err := txn.Get([]byte("k"), nil); !errors.Is(err, backend.ErrNotFound) {
			return err
		}
		return txn.Set([]byte("k"), []byte("v"))
	}))
	_, err := b.Get(ctx, []byte("k"), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(3), calls.Load(), "a read and a commit, then a Get")
	assert.Zero(t, failures.Load())

	// A view's reads run under the context it was opened with.
	vctx, cancel := context.WithCancel(ctx)
	v, err := b.View(vctx)
	require.NoError(t, err)
	cancel()
	_, err = v.Get([]byte("k"), nil)
	assert.ErrorIs(t, err, context.Canceled)
	require.NoError(t, v.Close())
	assert.Equal(t, int64(5), calls.Load(), "View and its Get")
	assert.Equal(t, int64(1), failures.Load())
}

// TestRestoreWithinDefaultLimits restores a backup bigger than etcd's
// default limits on one transaction, in both records (128 operations) and
// bytes (1.5 MiB), into a cluster that keeps them: Restore splits its
// chunks by TxnLimits and every record arrives.
func TestRestoreWithinDefaultLimits(t *testing.T) {
	cluster := etcdtest.Start(t, etcdtest.DefaultLimits())
	src := memory.New()
	defer src.Close()
	value := bytes.Repeat([]byte("v"), 2<<10)
	const n = 1500 // 1,500 records of 2 KiB: 3 MiB in all
	require.NoError(t, src.Update(t.Context(), func(txn backend.Txn) error {
		for i := range n {
			if err := txn.Set(fmt.Appendf(nil, "k%05d", i), value); err != nil {
				return err
			}
		}
		return nil
	}))
	var stream bytes.Buffer
	require.NoError(t, backend.Backup(t.Context(), src, &stream))

	b := open(t, cluster.Endpoints(), "restored/")
	keys, size := b.TxnLimits()
	assert.Equal(t, etcd.DefaultMaxTxnOps-1, keys, "one operation goes to the marker")
	assert.Equal(t, etcd.DefaultMaxRequestBytes/2, size)
	require.NoError(t, backend.Restore(t.Context(), b, &stream))

	v := conformance.OpenView(t, b)
	it := v.Range(nil, nil, false)
	got := 0
	for it.Next() {
		require.Equal(t, fmt.Sprintf("k%05d", got), string(it.Key()))
		require.Equal(t, value, it.Value())
		got++
	}
	require.NoError(t, it.Close())
	assert.Equal(t, n, got)

	// Without the limits, one 1,000-record chunk is refused by the server.
	big := open(t, cluster.Endpoints(), "unlimited/", etcd.ServerLimits(100_000, 64<<20))
	stream.Reset()
	require.NoError(t, backend.Backup(t.Context(), src, &stream))
	err := backend.Restore(t.Context(), big, &stream)
	require.ErrorIs(t, err, etcd.ErrTxnTooLarge)
	st, err := big.Stats(t.Context())
	require.NoError(t, err)
	assert.Zero(t, st.Keys, "a failed Restore leaves the target empty")
}

// TestChanges checks the Feed: one ChangeSet per commit, in order, with
// keys stripped of the prefix, previous values, and deletions; ViewAt
// reads as of a revision; a compacted start gives ErrCompacted.
func TestChanges(t *testing.T) {
	cluster := etcdtest.Start(t)
	b := open(t, cluster.Endpoints(), "feed/")
	ctx := t.Context()
	start, err := b.Revision(ctx)
	require.NoError(t, err)
	set := func(kv ...string) {
		require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "" {
					if err := txn.Delete([]byte(kv[i])); err != nil {
						return err
					}
				} else if err := txn.Set([]byte(kv[i]), []byte(kv[i+1])); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	set("k1", "a")
	set("k2", "b", "k3", "c")
	set("k1", "a2")
	set("k2", "")

	type seen struct {
		key, value, prev string
		deleted          bool
	}
	var sets [][]seen
	var revs []int64
	fctx, cancel := context.WithCancel(ctx)
	for cs, err := range b.Changes(fctx, start) {
		if err != nil {
			require.ErrorIs(t, err, context.Canceled)
			break
		}
		var s []seen
		for _, c := range cs.Changes {
			s = append(s, seen{string(c.Key), string(c.Value), string(c.Prev), c.Deleted})
		}
		sets, revs = append(sets, s), append(revs, cs.Rev)
		if len(sets) == 4 {
			cancel()
		}
	}
	cancel()
	assert.Equal(t, [][]seen{
		{{"k1", "a", "", false}},
		{{"k2", "b", "", false}, {"k3", "c", "", false}},
		{{"k1", "a2", "a", false}},
		{{"k2", "", "b", true}},
	}, sets)
	require.Len(t, revs, 4)
	for i := 1; i < 4; i++ {
		assert.Less(t, revs[i-1], revs[i])
	}

	v, err := b.ViewAt(ctx, revs[1])
	require.NoError(t, err)
	got, err := v.Get([]byte("k1"), nil)
	require.NoError(t, err)
	assert.Equal(t, "a", string(got), "as of the second commit")
	require.NoError(t, v.Close())

	now, err := b.Revision(ctx)
	require.NoError(t, err)
	assert.Equal(t, revs[3], now)
	_, err = cluster.Client(t).Compact(ctx, now)
	require.NoError(t, err)
	var last error
	for _, err := range b.Changes(ctx, start) {
		last = err
		if err != nil {
			break
		}
	}
	require.ErrorIs(t, last, backend.ErrCompacted)
	v, err = b.ViewAt(ctx, revs[1])
	require.NoError(t, err)
	_, err = v.Get([]byte("k1"), nil)
	require.ErrorIs(t, err, backend.ErrCompacted)
	require.NoError(t, v.Close())
}

// TestLayersPassLimitsThrough checks that the cache and compression layers
// report the limits of the etcd Backend they wrap, and none over an engine
// without limits.
func TestLayersPassLimitsThrough(t *testing.T) {
	cluster := etcdtest.Start(t)
	b := open(t, cluster.Endpoints(), "layered/", etcd.ServerLimits(64, 1<<20))
	for _, l := range []backend.TxnLimiter{cache.New(b), compress.New(b, compress.LZ4)} {
		keys, size := l.TxnLimits()
		assert.Equal(t, 63, keys)
		assert.Equal(t, 1<<19, size)
	}
	keys, size := cache.New(memory.New()).TxnLimits()
	assert.Zero(t, keys)
	assert.Zero(t, size)
}
