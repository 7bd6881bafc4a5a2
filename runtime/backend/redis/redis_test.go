package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/internal/redistest"
	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/conformance"
)

// testServer is the redis-server every test of the package uses; tests
// keep apart by using prefixes of their own.
var testServer *redistest.Server

func TestMain(m *testing.M) {
	s, err := redistest.StartMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redis backend tests:", err)
		os.Exit(1)
	}
	testServer = s
	code := m.Run()
	s.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var prefixes atomic.Int64

// newPrefix returns a key prefix no other test uses.
func newPrefix() string { return fmt.Sprintf("test%d:", prefixes.Add(1)) }

func serverOptions() *goredis.Options { return &goredis.Options{Addr: testServer.Addr()} }

func openPrefix(t testing.TB, prefix string, opts ...Option) *Backend {
	t.Helper()
	b, err := Open(context.Background(), serverOptions(), append([]Option{Prefix(prefix)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// rawClient is a plain client of the test server, for setting up what the
// engine would never write.
func rawClient(t *testing.T) *goredis.Client {
	c := goredis.NewClient(serverOptions())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	conformance.Run(t,
		func(t *testing.T) backend.Backend { return openPrefix(t, newPrefix()) },
		// The data is on the server: a new Backend on the same prefix sees it.
		conformance.Reopen(func(t *testing.T, b backend.Backend) backend.Backend {
			rb := b.(*Backend)
			require.NoError(t, rb.Close())
			again, err := Open(t.Context(), serverOptions(), Prefix(rb.prefix))
			require.NoError(t, err)
			return again
		}),
		// Redis opens no files; the counterpart of a file that is not a
		// database is a prefix that holds other data.
		conformance.NotADatabase(func(t *testing.T) error {
			prefix := newPrefix()
			require.NoError(t, rawClient(t).Set(t.Context(), prefix+"storegen:meta", "a session cookie", 0).Err())
			_, err := Open(t.Context(), serverOptions(), Prefix(prefix))
			return err
		}),
	)
}

func getString(t *testing.T, r backend.Reader, key string) string {
	t.Helper()
	v, err := r.Get([]byte(key), nil)
	require.NoError(t, err, "key %q", key)
	return string(v)
}

// interfere commits n on another Backend of the same prefix while the
// transaction of the first one is running.
func interfere(t *testing.T, other *Backend, n string) {
	require.NoError(t, other.Update(t.Context(), func(txn backend.Txn) error {
		return txn.Set([]byte("n"), []byte(n))
	}))
}

// TestConflict checks that a transaction that another Backend overtook
// between its read and its commit is run again and then commits, that its
// reads stay at its snapshot until then, and that with MaxAttempts(1), or
// once the attempts run out, the lost race is an error wrapping
// backend.ErrConflict that wrote nothing.
func TestConflict(t *testing.T) {
	cases := []struct {
		name        string
		maxAttempts int
		interfere   int // attempts during which another Backend commits
		wantCalls   int
		wantErr     bool
		want        string
	}{
		{"retried", DefaultMaxAttempts, 1, 2, false, "101"},
		{"retried twice", DefaultMaxAttempts, 2, 3, false, "102"},
		{"no retries", 1, 1, 1, true, "100"},
		{"attempts run out", 3, 3, 3, true, "102"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := newPrefix()
			a := openPrefix(t, prefix, MaxAttempts(c.maxAttempts))
			other := openPrefix(t, prefix)
			conformance.Put(t, a, "n", "0")
			calls := 0
			err := a.Update(t.Context(), func(txn backend.Txn) error {
				calls++
				before, err := txn.Get([]byte("n"), nil)
				if err != nil {
					return err
				}
				if calls <= c.interfere {
					interfere(t, other, strconv.Itoa(99+calls))
					assert.Equal(t, string(before), getString(t, txn, "n"), "a transaction's read moved")
				}
				n, err := strconv.Atoi(string(before))
				if err != nil {
					return err
				}
				return txn.Set([]byte("n"), strconv.AppendInt(nil, int64(n+1), 10))
			})
			if c.wantErr {
				require.ErrorIs(t, err, backend.ErrConflict)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, c.wantCalls, calls, "calls of fn")
			got, err := a.Get(t.Context(), []byte("n"), nil)
			require.NoError(t, err)
			assert.Equal(t, c.want, string(got))
		})
	}
}

// TestConcurrentBackends has goroutines on two Backends of one prefix
// increment one counter; every increment must land exactly once.
func TestConcurrentBackends(t *testing.T) {
	const (
		workers    = 2 // per Backend
		increments = 25
	)
	prefix := newPrefix()
	handles := []*Backend{openPrefix(t, prefix), openPrefix(t, prefix)}
	conformance.Put(t, handles[0], "n", "0")
	var calls, gaveUp atomic.Int64
	var wg sync.WaitGroup
	for _, h := range handles {
		for range workers {
			wg.Go(func() {
				for range increments {
					for {
						err := h.Update(t.Context(), func(txn backend.Txn) error {
							calls.Add(1)
							v, err := txn.Get([]byte("n"), nil)
							if err != nil {
								return err
							}
							n, err := strconv.Atoi(string(v))
							if err != nil {
								return err
							}
							return txn.Set([]byte("n"), strconv.AppendInt(nil, int64(n+1), 10))
						})
						if errors.Is(err, backend.ErrConflict) {
							gaveUp.Add(1)
							continue
						}
						if !assert.NoError(t, err) {
							return
						}
						break
					}
				}
			})
		}
	}
	wg.Wait()
	t.Logf("%d calls of fn for %d increments, %d Updates gave up", calls.Load(), 2*workers*increments, gaveUp.Load())
	got, err := handles[1].Get(t.Context(), []byte("n"), nil)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(2*workers*increments), string(got))
}

// TestViewsAcrossCommits commits random sets and deletes over a small set
// of keys, opening a view before each commit, and then checks every view
// against the state it was opened on, through Get and through Range in both
// directions. Batches of one to three keys put batch boundaries everywhere
// the rebuilding from undo logs has to get right.
func TestViewsAcrossCommits(t *testing.T) {
	ctx := t.Context()
	b := openPrefix(t, newPrefix())
	b.firstBatch, b.maxBatch = 1, 3
	keys := []string{"\x00", "\x00\x00", "\x00\xff", "\xff", "\xff\xff", "a", "a\x00", "b"}
	for i := range 16 {
		keys = append(keys, fmt.Sprintf("k%02d", i))
	}
	slices.Sort(keys)
	rng := rand.New(rand.NewPCG(7, 11))
	model := map[string]string{}
	type opened struct {
		view  backend.View
		state map[string]string
	}
	var views []opened
	for commit := range 40 {
		v, err := b.View(ctx)
		require.NoError(t, err)
		defer v.Close()
		views = append(views, opened{v, maps(model)})
		require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
			for range 1 + rng.IntN(6) {
				k := keys[rng.IntN(len(keys))]
				if rng.IntN(3) == 0 {
					delete(model, k)
					if err := txn.Delete([]byte(k)); err != nil {
						return err
					}
					continue
				}
				value := fmt.Sprintf("c%d-%d", commit, rng.IntN(100))
				if rng.IntN(5) == 0 {
					value = ""
				}
				model[k] = value
				if err := txn.Set([]byte(k), []byte(value)); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	views = append(views, opened{nil, model}) // the current state, through a new view

	for i, o := range views {
		v := o.view
		if v == nil {
			var err error
			v, err = b.View(ctx)
			require.NoError(t, err)
			defer v.Close()
		}
		for _, k := range keys {
			got, err := v.Get([]byte(k), nil)
			want, ok := o.state[k]
			if !ok {
				assert.ErrorIs(t, err, backend.ErrNotFound, "view %d, key %q", i, k)
			} else if assert.NoError(t, err, "view %d, key %q", i, k) {
				assert.Equal(t, want, string(got), "view %d, key %q", i, k)
			}
		}
		for _, bounds := range [][2]string{{"", ""}, {"\x00\x00", "k05"}, {"a", "a\x01"}, {"k03", ""}} {
			lo, hi := []byte(bounds[0]), []byte(bounds[1])
			if bounds[1] == "" {
				hi = nil
			}
			var want []string
			for _, k := range keys {
				if v, ok := o.state[k]; ok && bytes.Compare([]byte(k), lo) >= 0 && (hi == nil || bytes.Compare([]byte(k), hi) < 0) {
					want = append(want, k+"="+v)
				}
			}
			assert.Equal(t, want, drain(t, v.Range(lo, hi, false)), "view %d, range %q forward", i, bounds)
			slices.Reverse(want)
			assert.Equal(t, want, drain(t, v.Range(lo, hi, true)), "view %d, range %q reverse", i, bounds)
		}
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func drain(t *testing.T, it backend.Iterator) []string {
	t.Helper()
	var out []string
	for it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	require.NoError(t, it.Close())
	return out
}

// TestSnapshotExpires checks that a view whose undo logs expired reports
// an error wrapping backend.ErrConflict rather than reading later data,
// and that a transaction whose snapshot expires under it is run again.
func TestSnapshotExpires(t *testing.T) {
	// Long enough for the first read below under a loaded race detector,
	// short enough to wait for.
	const retention = time.Second
	ctx := t.Context()
	prefix := newPrefix()
	b := openPrefix(t, prefix, UndoRetention(retention))
	other := openPrefix(t, prefix, UndoRetention(retention))
	conformance.Put(t, b, "a", "1", "n", "0")

	v, err := b.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	conformance.Put(t, b, "a", "2")
	assert.Equal(t, "1", getString(t, v, "a"), "the view read before the retention ended")
	require.Eventually(t, func() bool {
		_, err := v.Get([]byte("a"), nil)
		return errors.Is(err, backend.ErrConflict)
	}, 10*time.Second, 20*time.Millisecond, "the view went on reading after its undo logs expired")
	it := v.Range(nil, nil, false)
	assert.False(t, it.Next())
	assert.ErrorIs(t, it.Close(), backend.ErrConflict)

	raw := rawClient(t)
	calls := 0
	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		calls++
		if calls == 1 {
			interfere(t, other, "100") // commit 3
			require.Eventually(t, func() bool {
				n, err := raw.Exists(ctx, prefix+"storegen:undo:3").Result()
				return err == nil && n == 0
			}, 10*time.Second, 20*time.Millisecond, "the undo log did not expire")
		}
		v, err := txn.Get([]byte("n"), nil)
		if err != nil {
			return err
		}
		return txn.Set([]byte("n"), append(v, '!'))
	}))
	assert.Equal(t, 2, calls, "calls of fn")
	got, err := b.Get(ctx, []byte("n"), nil)
	require.NoError(t, err)
	assert.Equal(t, "100!", string(got))
}

// TestOpenRefuses checks the errors of Open for a prefix holding a value of
// another type and for a server that is not there.
func TestOpenRefuses(t *testing.T) {
	prefix := newPrefix()
	require.NoError(t, rawClient(t).RPush(t.Context(), prefix+"storegen:meta", "x").Err())
	_, err := Open(t.Context(), serverOptions(), Prefix(prefix))
	require.ErrorIs(t, err, backend.ErrCorrupt)
	assert.Contains(t, err.Error(), testServer.Addr())

	l := freeAddr(t)
	_, err = Open(t.Context(), &goredis.Options{Addr: l, MaxRetries: -1})
	require.Error(t, err)
	assert.NotErrorIs(t, err, backend.ErrCorrupt)
	assert.Contains(t, err.Error(), l)
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestDefaultPrefix checks that without Prefix the keys start with
// "storegen:".
func TestDefaultPrefix(t *testing.T) {
	b, err := Open(t.Context(), serverOptions())
	require.NoError(t, err)
	defer b.Close()
	conformance.Put(t, b, "k", "v")
	n, err := rawClient(t).Exists(t.Context(), "storegen:meta", "storegen:data", "storegen:keys", "storegen:version").Result()
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)
}

// TestOnRoundTrip checks that the hook sees the engine's exchanges with
// the server, and not a missing key as an error.
func TestOnRoundTrip(t *testing.T) {
	var trips, failures atomic.Int64
	b := openPrefix(t, newPrefix(), OnRoundTrip(func(d time.Duration, err error) {
		trips.Add(1)
		if err != nil {
			failures.Add(1)
			t.Log(err)
		}
	}))
	before := trips.Load()
	conformance.Put(t, b, "k", "v")
	_, err := b.Get(t.Context(), []byte("missing"), nil)
	require.ErrorIs(t, err, backend.ErrNotFound)
	_, err = b.Stats(t.Context())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, trips.Load()-before, int64(4), "version, commit, get, stats")
	assert.Zero(t, failures.Load(), "failed round trips")
}
