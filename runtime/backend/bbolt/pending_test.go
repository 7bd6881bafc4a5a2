package bbolt

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/conformance"
)

// TestPendingWrites runs random Sets, Deletes, Gets and Ranges in
// transactions over a file that already holds keys, and holds every read
// and the committed file to a map: pending writes must read as if they
// were in the tree, whatever order they arrive in.
func TestPendingWrites(t *testing.T) {
	b := openTemp(t)
	model := map[string]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	// Keys come from a few interleaved streams, ascending and descending,
	// the shape of a batch's records and index entries, plus random ones.
	key := func(step int) string {
		switch rng.IntN(5) {
		case 0:
			return fmt.Sprintf("a/%05d", step)
		case 1:
			return fmt.Sprintf("b/%05d", 99999-step)
		case 2:
			return fmt.Sprintf("c/%d/%05d", step%7, step)
		}
		return fmt.Sprintf("%c/%03d", 'a'+rng.IntN(4), rng.IntN(1000))
	}
	sorted := func(lo, hi string, reverse bool) []string {
		var ks []string
		for k := range model {
			if k >= lo && (hi == "" || k < hi) {
				ks = append(ks, k)
			}
		}
		slices.Sort(ks)
		if reverse {
			slices.Reverse(ks)
		}
		return ks
	}
	step := 0
	for round := range 6 {
		require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
			for range 2000 {
				step++
				k := key(step)
				switch op := rng.IntN(100); {
				case op < 55:
					v := strings.Repeat("v", rng.IntN(40))
					model[k] = v
					require.NoError(t, tx.Set([]byte(k), []byte(v)))
				case op < 70:
					delete(model, k)
					require.NoError(t, tx.Delete([]byte(k)))
				case op < 98:
					v, err := tx.Get([]byte(k), nil)
					if want, ok := model[k]; ok {
						require.NoError(t, err, k)
						require.Equal(t, want, string(v), k)
					} else {
						require.ErrorIs(t, err, backend.ErrNotFound, k)
					}
				default:
					lo, hi, reverse := k[:2], k, rng.IntN(2) == 0
					require.Equal(t, sorted(lo, hi, reverse),
						conformance.Keys(t, tx.Range([]byte(lo), []byte(hi), reverse)), "round %d step %d", round, step)
				}
			}
			return nil
		}))
		v := conformance.OpenView(t, b)
		got := map[string]string{}
		it := v.Range(nil, nil, false)
		for it.Next() {
			got[string(it.Key())] = string(it.Value())
		}
		require.NoError(t, it.Close())
		require.NoError(t, v.Close())
		require.Equal(t, model, got, "after round %d", round)
	}
	assert.NotEmpty(t, slices.Collect(maps.Keys(model)))
}

// TestPendingWritesRolledBack checks that a failed Update leaves nothing
// of its pending writes, in the file or in the next transaction.
func TestPendingWritesRolledBack(t *testing.T) {
	b := openTemp(t)
	conformance.Put(t, b, "kept", "1")
	err := b.Update(t.Context(), func(tx backend.Txn) error {
		require.NoError(t, tx.Set([]byte("dropped"), []byte("2")))
		require.NoError(t, tx.Delete([]byte("kept")))
		return assert.AnError
	})
	require.ErrorIs(t, err, assert.AnError)
	require.NoError(t, b.Update(t.Context(), func(tx backend.Txn) error {
		_, err := tx.Get([]byte("dropped"), nil)
		require.ErrorIs(t, err, backend.ErrNotFound)
		v, err := tx.Get([]byte("kept"), nil)
		require.NoError(t, err)
		require.Equal(t, "1", string(v))
		return nil
	}))
}

// TestSetRefusesWhatBboltWould checks that a key or value bbolt cannot
// store fails at Set, not later when the pending writes are applied.
func TestSetRefusesWhatBboltWould(t *testing.T) {
	b := openTemp(t)
	err := b.Update(t.Context(), func(tx backend.Txn) error {
		return tx.Set(make([]byte, 32769), []byte("v"))
	})
	require.ErrorIs(t, err, bolterrors.ErrKeyTooLarge)
}

// BenchmarkPending records the writes of a batch of benchBatch records
// with two index entries each, as runtime/store makes them (a Get that
// misses, then a Set, for the record and its unique entry; a Set for the
// plain entry), and puts them in key order, without bbolt.
func BenchmarkPending(b *testing.B) {
	type write struct{ key, value []byte }
	var ws []write
	for i := range benchBatch {
		ws = append(ws,
			write{fmt.Appendf(nil, "order\x00order-%08d", i), bytes.Repeat([]byte{'v'}, 400)},
			write{fmt.Appendf(nil, "order\x01Email\x00customer%06d@example.com", i), nil},
			write{fmt.Appendf(nil, "order\x01Status\x00status%d\x00order-%08d", i%10, i), nil})
	}
	b.ReportAllocs()
	for b.Loop() {
		p := pendingPool.Get().(*pending)
		for j, w := range ws {
			if j%3 != 2 {
				if _, found := p.get(w.key); found {
					b.Fatal("found a key never written")
				}
			}
			p.set(w.key, w.value)
		}
		if n := len(p.order()); n != len(ws) {
			b.Fatalf("%d writes in order, want %d", n, len(ws))
		}
		p.release()
	}
}
