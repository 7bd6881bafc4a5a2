package etcd_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/etcd"
	"github.com/synapsed/storegen/runtime/backend/etcd/etcdtest"
)

// TestConflict races two Backends on one prefix, as two processes would:
// between the reads and the commit of a transaction through a, a commit
// through b changes something. The table says which changes are conflicts
// and so rerun a's function, as the package documentation promises; with
// MaxAttempts(1) a conflict is the caller's, as backend.ErrConflict.
func TestConflict(t *testing.T) {
	get := func(key string) func(backend.Txn) error {
		return func(txn backend.Txn) error {
			_, err := txn.Get([]byte(key), nil)
			if err == backend.ErrNotFound {
				return nil
			}
			return err
		}
	}
	scan := func(prefix string) func(backend.Txn) error {
		return func(txn backend.Txn) error {
			it := backend.Prefix(txn, []byte(prefix), false)
			for it.Next() {
			}
			return it.Close()
		}
	}
	set := func(key string) func(backend.Txn) error {
		return func(txn backend.Txn) error { return txn.Set([]byte(key), []byte("b")) }
	}
	del := func(key string) func(backend.Txn) error {
		return func(txn backend.Txn) error { return txn.Delete([]byte(key)) }
	}
	nothing := func(backend.Txn) error { return nil }

	cases := []struct {
		name      string
		read      func(backend.Txn) error // a's reads
		interfere func(backend.Txn) error // b's commit after them
		conflict  bool
	}{
		{"same key", get("k"), set("k"), true},
		{"missing key created", get("new"), set("new"), true},
		{"key deleted", get("k"), del("k"), true},
		{"key deleted and created again", get("k"), func(txn backend.Txn) error { return txn.Set([]byte("k"), []byte("0")) }, true},
		{"other key", get("k"), set("other"), false},
		{"insert into a read range", scan("r/"), set("r/new"), true},
		{"delete from a read range", scan("r/"), del("r/1"), true},
		// A transaction that read a range compares the marker, which every
		// commit on the prefix changes.
		{"write beside a read range", scan("r/"), set("other"), true},
		{"blind write", nothing, set("out"), false},
	}
	cluster := etcdtest.Start(t)
	for i, c := range cases {
		for _, attempts := range []int{etcd.DefaultMaxAttempts, 1} {
			t.Run(fmt.Sprintf("%s/attempts=%d", c.name, attempts), func(t *testing.T) {
				prefix := fmt.Sprintf("conflict/%d/%d/", i, attempts)
				a := open(t, cluster.Endpoints(), prefix, etcd.MaxAttempts(attempts))
				b := open(t, cluster.Endpoints(), prefix)
				require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
					for _, k := range []string{"k", "r/1", "r/2"} {
						if err := txn.Set([]byte(k), []byte("0")); err != nil {
							return err
						}
					}
					return nil
				}))
				calls := 0
				err := a.Update(t.Context(), func(txn backend.Txn) error {
					calls++
					if err := c.read(txn); err != nil {
						return err
					}
					if calls == 1 {
						require.NoError(t, b.Update(t.Context(), c.interfere))
					}
					return txn.Set([]byte("out"), []byte("a"))
				})
				out, getErr := a.Get(t.Context(), []byte("out"), nil)
				switch {
				case !c.conflict:
					require.NoError(t, err)
					assert.Equal(t, 1, calls, "an attempt was rerun without a conflict")
					assert.Equal(t, "a", string(out))
				case attempts == 1:
					require.ErrorIs(t, err, backend.ErrConflict)
					assert.Equal(t, 1, calls)
					assert.ErrorIs(t, getErr, backend.ErrNotFound, "a transaction that lost its race wrote")
				default:
					require.NoError(t, err)
					assert.Equal(t, 2, calls, "a conflict must rerun the function once")
					assert.Equal(t, "a", string(out))
				}
			})
		}
	}
}

// TestConcurrentIncrements has two Backends on one prefix increment one
// counter at the same time; retries make every increment count.
func TestConcurrentIncrements(t *testing.T) {
	const perWriter = 20
	cluster := etcdtest.Start(t)
	handles := []*etcd.Backend{
		open(t, cluster.Endpoints(), "counter/"),
		open(t, cluster.Endpoints(), "counter/"),
	}
	key := []byte("n")
	var wg sync.WaitGroup
	for _, h := range handles {
		wg.Go(func() {
			for range perWriter {
				err := h.Update(t.Context(), func(txn backend.Txn) error {
					v, err := txn.Get(key, nil)
					n := 0
					switch {
					case err == nil:
						n, err = strconv.Atoi(string(v))
						if err != nil {
							return err
						}
					case err != backend.ErrNotFound:
						return err
					}
					return txn.Set(key, strconv.AppendInt(nil, int64(n+1), 10))
				})
				if !assert.NoError(t, err) {
					return
				}
			}
		})
	}
	wg.Wait()
	v, err := handles[0].Get(t.Context(), key, nil)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(len(handles)*perWriter), string(v))
}
