package store_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/codec"
	"github.com/synapsed/storegen/runtime/store"
)

// account is written the way storegen generates code for
//
//	type account struct {
//		ID     string `store:"key"`
//		Email  string `store:"unique"`
//		Team   string `store:"index"`
//		Secret string `store:"sensitive"`
//		Age    int
//	}
type account struct {
	ID     string
	Email  string
	Team   string
	Secret string
	Age    int
}

var accountSchema = store.Schema[string, account]{
	Name:      "account",
	AppendKey: codec.AppendKeyString,
	KeyOf:     func(v *account) string { return v.ID },
	Encode:    encodeAccount,
	Decode:    decodeAccount,
	Indexes: []store.Index[account]{
		{Name: "email", Unique: true, AppendKey: func(dst []byte, v *account) []byte { return codec.AppendKeyString(dst, v.Email) }},
		{Name: "team", AppendKey: func(dst []byte, v *account) []byte { return codec.AppendKeyString(dst, v.Team) }},
	},
}

const (
	idID, idEmail, idTeam, idSecret, idAge = 0x01, 0x02, 0x03, 0x04, 0x05
	tBytes, tInt                           = 0x10, 0x20
)

func encodeAccount(dst []byte, v *account) ([]byte, error) {
	dst = append(dst, codec.Version)
	if v.ID != "" {
		dst = codec.AppendStringField(dst, idID, tBytes, v.ID)
	}
	if v.Email != "" {
		dst = codec.AppendStringField(dst, idEmail, tBytes, v.Email)
	}
	if v.Team != "" {
		dst = codec.AppendStringField(dst, idTeam, tBytes, v.Team)
	}
	if v.Secret != "" {
		dst = codec.AppendStringField(dst, idSecret, tBytes, v.Secret)
	}
	if v.Age != 0 {
		dst = codec.AppendIntField(dst, idAge, tInt, int64(v.Age))
	}
	return dst, nil
}

func decodeAccount(b []byte, v *account) error {
	*v = account{}
	r := codec.NewReader(b)
	for r.Next() {
		p := r.Payload()
		switch r.ID() {
		case idID, idEmail, idTeam, idSecret:
			if r.Type() != tBytes {
				return codec.InField("ID", codec.ErrType)
			}
			s := string(p)
			switch r.ID() {
			case idID:
				v.ID = s
			case idEmail:
				v.Email = s
			case idTeam:
				v.Team = s
			default:
				v.Secret = s
			}
		case idAge:
			if r.Type() != tInt {
				return codec.InField("Age", codec.ErrType)
			}
			x, err := codec.Int(p, 64)
			if err != nil {
				return codec.InField("Age", err)
			}
			v.Age = int(x)
		}
	}
	return r.Err()
}

func openDB(t *testing.T) (*store.DB, *store.Table[string, account]) {
	t.Helper()
	return openOn(t, engines[0])
}

func collect[V any](t *testing.T, seq iter.Seq2[V, error]) []V {
	t.Helper()
	var out []V
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func ids(vs []account) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.ID
	}
	return out
}

func TestPutGetDelete(t *testing.T) {
	ctx := context.Background()
	_, accounts := openDB(t)

	a := account{ID: "a1", Email: "a@x", Team: "red", Secret: "s3cret", Age: -4}
	require.NoError(t, accounts.Put(ctx, a))
	got, err := accounts.Get(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, a, got)

	ok, err := accounts.Exists(ctx, "a1")
	require.NoError(t, err)
	assert.True(t, ok)

	_, err = accounts.Get(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.Contains(t, err.Error(), "account")
	assert.Contains(t, err.Error(), "nobody")

	existed, err := accounts.Delete(ctx, "a1")
	require.NoError(t, err)
	assert.True(t, existed)
	existed, err = accounts.Delete(ctx, "a1")
	require.NoError(t, err)
	assert.False(t, existed)
	ok, err = accounts.Exists(ctx, "a1")
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = accounts.GetUnique(ctx, 0, codec.AppendKeyString(nil, "a@x"))
	require.ErrorIs(t, err, store.ErrNotFound, "deleting a record removes its unique entry")
	assert.Empty(t, collect(t, accounts.List(ctx, 1, codec.AppendKeyString(nil, "red"))), "deleting a record removes its index entry")
}

func TestInsertRefusesExisting(t *testing.T) {
	ctx := context.Background()
	_, accounts := openDB(t)
	require.NoError(t, accounts.Insert(ctx, account{ID: "a1", Age: 1}))
	err := accounts.Insert(ctx, account{ID: "a1", Age: 2})
	require.ErrorIs(t, err, store.ErrExists)
	got, err := accounts.Get(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, 1, got.Age)
}

func TestUniqueIndex(t *testing.T) {
	ctx := context.Background()
	_, accounts := openDB(t)
	require.NoError(t, accounts.Put(ctx, account{ID: "a1", Email: "a@x", Team: "red"}))

	// Another record may not take the same value; nothing is written.
	err := accounts.Put(ctx, account{ID: "a2", Email: "a@x", Team: "blue"})
	require.ErrorIs(t, err, store.ErrConflict)
	ok, err := accounts.Exists(ctx, "a2")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, collect(t, accounts.List(ctx, 1, codec.AppendKeyString(nil, "blue"))))

	// The owner may keep or change its own value.
	require.NoError(t, accounts.Put(ctx, account{ID: "a1", Email: "a@x", Team: "green"}))
	require.NoError(t, accounts.Put(ctx, account{ID: "a1", Email: "b@x", Team: "green"}))
	_, err = accounts.GetUnique(ctx, 0, codec.AppendKeyString(nil, "a@x"))
	require.ErrorIs(t, err, store.ErrNotFound, "the old unique value is released")
	got, err := accounts.GetUnique(ctx, 0, codec.AppendKeyString(nil, "b@x"))
	require.NoError(t, err)
	assert.Equal(t, "a1", got.ID)

	// Now the released value is free for another record.
	require.NoError(t, accounts.Put(ctx, account{ID: "a2", Email: "a@x"}))
}

func TestIndexFollowsUpdates(t *testing.T) {
	ctx := context.Background()
	_, accounts := openDB(t)
	require.NoError(t, accounts.PutAll(ctx, []account{
		{ID: "a3", Email: "3", Team: "red"}, {ID: "a1", Email: "1", Team: "red"}, {ID: "a2", Email: "2", Team: "blue"},
	}))
	red := func() []string { return ids(collect(t, accounts.List(ctx, 1, codec.AppendKeyString(nil, "red")))) }
	assert.Equal(t, []string{"a1", "a3"}, red(), "entries of one value come in key order")
	require.NoError(t, accounts.Put(ctx, account{ID: "a1", Email: "1", Team: "blue"}))
	assert.Equal(t, []string{"a3"}, red())
	assert.Equal(t, []string{"a3"}, ids(collect(t, accounts.List(ctx, 1, codec.AppendKeyString(nil, "red"), store.Limit(5)))))
	blue := ids(collect(t, accounts.List(ctx, 1, codec.AppendKeyString(nil, "blue"), store.Reverse())))
	assert.Equal(t, []string{"a2", "a1"}, blue)
}

func TestScan(t *testing.T) {
	ctx := context.Background()
	_, accounts := openDB(t)
	for _, id := range []string{"b", "a", "ab", "c", "a\x00z"} {
		require.NoError(t, accounts.Put(ctx, account{ID: id, Email: id}))
	}
	assert.Equal(t, []string{"a", "a\x00z", "ab", "b", "c"}, ids(collect(t, accounts.Scan(ctx))))
	assert.Equal(t, []string{"c", "b", "ab"}, ids(collect(t, accounts.Scan(ctx, store.Reverse(), store.Limit(3)))))
	assert.Equal(t, []string{"ab", "b"}, ids(collect(t, accounts.ScanRange(ctx, "ab", "c"))))
	assert.Equal(t, []string{"a", "a\x00z", "ab"}, ids(collect(t, accounts.ScanPrefix(ctx, codec.AppendKeyStringPrefix(nil, "a")))))

	// Stopping early releases the view; the store stays usable.
	for range accounts.Scan(ctx) {
		break
	}
	require.NoError(t, accounts.Put(ctx, account{ID: "d", Email: "d"}))
}

func TestTransactions(t *testing.T) {
	ctx := context.Background()
	db, accounts := openDB(t)

	boom := errors.New("boom")
	err := db.Update(ctx, func(tx *store.Tx) error {
		in := accounts.In(tx)
		require.NoError(t, in.Put(account{ID: "a1", Email: "a@x"}))
		got, err := in.Get("a1")
		require.NoError(t, err, "a transaction reads its own writes")
		assert.Equal(t, "a@x", got.Email)
		assert.Len(t, collect(t, in.Scan()), 1)
		return boom
	})
	require.ErrorIs(t, err, boom)
	ok, err := accounts.Exists(ctx, "a1")
	require.NoError(t, err)
	assert.False(t, ok, "a failed transaction keeps nothing")

	var leaked *store.Tx
	require.NoError(t, db.Update(ctx, func(tx *store.Tx) error {
		leaked = tx
		return accounts.In(tx).Put(account{ID: "a1"})
	}))
	_, err = accounts.In(leaked).Get("a1")
	require.ErrorIs(t, err, store.ErrTxDone)

	err = db.View(ctx, func(tx *store.Tx) error { return accounts.In(tx).Put(account{ID: "a2"}) })
	require.ErrorIs(t, err, store.ErrReadOnly)
}

func TestSensitiveKeyRedacted(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	schema := accountSchema
	schema.Name = "vault"
	schema.SensitiveKey = true
	schema.Indexes = nil
	vault := store.NewTable(db, &schema)
	_, err = vault.Get(ctx, "top-secret-id")
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.NotContains(t, err.Error(), "top-secret-id")
	assert.Contains(t, err.Error(), store.Redacted)
}

func TestCorruptValueIsAnError(t *testing.T) {
	ctx := context.Background()
	db, accounts := openDB(t)
	require.NoError(t, accounts.Put(ctx, account{ID: "a1", Age: 3}))
	// Overwrite the stored value with a string where an int belongs.
	bad := codec.AppendStringField([]byte{codec.Version}, idAge, tBytes, "x")
	require.NoError(t, db.Backend().Update(ctx, func(tx backend.Txn) error {
		return tx.Set(append([]byte("account\x00"), codec.AppendKeyString(nil, "a1")...), bad)
	}))
	_, err := accounts.Get(ctx, "a1")
	require.ErrorIs(t, err, store.ErrCorrupt)
	require.ErrorIs(t, err, codec.ErrType)
	assert.Contains(t, err.Error(), "account")
	assert.Contains(t, err.Error(), "a1")
	assert.Contains(t, err.Error(), "Age")

	for _, err := range accounts.Scan(ctx) {
		require.ErrorIs(t, err, store.ErrCorrupt)
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	db, accounts := openDB(t)
	require.NoError(t, db.Close())
	require.ErrorIs(t, db.Close(), store.ErrClosed)
	require.ErrorIs(t, accounts.Put(ctx, account{ID: "x"}), store.ErrClosed)
	_, err := accounts.Get(ctx, "x")
	require.ErrorIs(t, err, store.ErrClosed)
	for _, err := range accounts.Scan(ctx) {
		require.ErrorIs(t, err, store.ErrClosed)
	}
}

func TestConflictErrorShowsTheValue(t *testing.T) {
	ctx := context.Background()
	_, accounts := openDB(t)
	require.NoError(t, accounts.Put(ctx, account{ID: "a1", Email: "ann@example.com"}))
	err := accounts.Put(ctx, account{ID: "a2", Email: "ann@example.com"})
	require.ErrorIs(t, err, store.ErrConflict)
	assert.Contains(t, err.Error(), `email="ann@example.com"`)
	assert.NotContains(t, err.Error(), `\x00`)
}

// TestCloseWhileScanning closes the DB while goroutines scan and look up
// by index on every engine: Close waits for them, each scan ends cleanly —
// complete, or cut short with ErrClosed — and nothing races (run with
// -race) or panics.
func TestCloseWhileScanning(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(eng.open(t))
			require.NoError(t, err)
			accounts := store.NewTable(db, &accountSchema)
			recs := make([]account, 500)
			for i := range recs {
				recs[i] = account{ID: fmt.Sprintf("k%03d", i), Email: fmt.Sprintf("e%03d", i), Team: "t"}
			}
			require.NoError(t, accounts.PutAll(ctx, recs))

			var wg sync.WaitGroup
			var complete, cut atomic.Int64
			started := make(chan struct{}, 4)
			for g := range 4 {
				wg.Go(func() {
					started <- struct{}{}
					for {
						n := 0
						var err error
						for _, e := range accounts.Scan(ctx) {
							if err = e; err != nil {
								break
							}
							n++
						}
						if g%2 == 1 {
							_, gerr := accounts.GetUnique(ctx, 0, codec.AppendKeyString(nil, "e001"))
							if gerr != nil && err == nil {
								err = gerr
							}
						}
						switch {
						case err == nil:
							assert.Equal(t, len(recs), n, "a scan that ends without error saw every record")
							complete.Add(1)
						case errors.Is(err, store.ErrClosed):
							cut.Add(1)
							return
						default:
							t.Errorf("scan: %v", err)
							return
						}
					}
				})
			}
			for range 4 {
				<-started
			}
			time.Sleep(5 * time.Millisecond)
			require.NoError(t, db.Close())
			wg.Wait()
			assert.Positive(t, complete.Load(), "scans ran before Close")
			assert.Equal(t, int64(4), cut.Load(), "every scanner saw ErrClosed and stopped")
		})
	}
}

// countingTxns counts the reads made inside the transactions of a backend.
type countingTxns struct {
	backend.Backend
	gets atomic.Int64
}

type countingTxn struct {
	backend.Txn
	gets *atomic.Int64
}

func (c countingTxn) Get(key, buf []byte) ([]byte, error) {
	c.gets.Add(1)
	return c.Txn.Get(key, buf)
}

func (c *countingTxns) Update(ctx context.Context, fn func(backend.Txn) error) error {
	return c.Backend.Update(ctx, func(txn backend.Txn) error { return fn(countingTxn{txn, &c.gets}) })
}

// TestPutWritesBlindly checks that a Put reads the stored record only when
// something needs it: indexes, an Insert, or a watcher.
func TestPutWritesBlindly(t *testing.T) {
	ctx := context.Background()
	b := &countingTxns{Backend: memory.New()}
	db, err := store.Open(b)
	require.NoError(t, err)
	defer db.Close()
	plain := accountSchema
	plain.Name, plain.Indexes = "plain", nil
	plainT, indexed := store.NewTable(db, &plain), store.NewTable(db, &accountSchema)

	require.NoError(t, plainT.Put(ctx, account{ID: "a", Age: 1}))
	require.NoError(t, plainT.Put(ctx, account{ID: "a", Age: 2}))
	assert.Zero(t, b.gets.Load(), "no index, no watcher: nothing to read")
	got, err := plainT.Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, 2, got.Age)

	require.ErrorIs(t, plainT.Insert(ctx, account{ID: "a"}), store.ErrExists)
	assert.Equal(t, int64(1), b.gets.Load(), "Insert reads")

	require.NoError(t, indexed.Put(ctx, account{ID: "a", Email: "a@x"}))
	assert.Equal(t, int64(3), b.gets.Load(), "indexes need the old record (and the unique entry)")

	sub := plainT.Watch(ctx)
	defer sub.Close()
	require.NoError(t, plainT.Put(ctx, account{ID: "a", Age: 3}))
	assert.Equal(t, int64(4), b.gets.Load(), "a watcher needs Old")
	e := <-sub.C()
	assert.Equal(t, store.Updated, e.Kind)
	assert.Equal(t, 2, e.Old.Age)
}
