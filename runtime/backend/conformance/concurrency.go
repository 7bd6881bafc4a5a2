package conformance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// testConcurrent runs writers that move amounts between accounts, and count
// their transfers, alongside readers that check, in every view, that the
// accounts still sum to the starting total and that the count never goes
// back. A lost update breaks the final count, a torn or unisolated read
// breaks the sum. Run it with -race.
func (s *suite) testConcurrent(t *testing.T) {
	const (
		accounts  = 8
		start     = 100
		writers   = 4
		readers   = 4
		transfers = 100 // per writer
		total     = accounts * start
	)
	ctx := t.Context()
	b := s.fresh(t)
	acct := func(i int) []byte { return fmt.Appendf(nil, "acct/%d", i) }
	counter := []byte("transfers")
	init := []entry{{string(counter), "0"}}
	for i := range accounts {
		init = append(init, entry{string(acct(i)), strconv.Itoa(start)})
	}
	put(t, b, init...)

	readInt := func(r backend.Reader, key []byte) (int, error) {
		v, err := r.Get(key, nil)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(string(v))
	}
	transfer := func(txn backend.Txn, from, to, amount int) error {
		a, err := readInt(txn, acct(from))
		if err != nil {
			return err
		}
		c, err := readInt(txn, acct(to))
		if err != nil {
			return err
		}
		n, err := readInt(txn, counter)
		if err != nil {
			return err
		}
		// Let other goroutines run between the reads and the writes, so an
		// engine that does not isolate writers loses updates here.
		runtime.Gosched()
		return firstErr(
			txn.Set(acct(from), strconv.AppendInt(nil, int64(a-amount), 10)),
			txn.Set(acct(to), strconv.AppendInt(nil, int64(c+amount), 10)),
			txn.Set(counter, strconv.AppendInt(nil, int64(n+1), 10)),
		)
	}

	var (
		wg        sync.WaitGroup
		writing   atomic.Int32
		conflicts atomic.Int64
	)
	writing.Store(writers)
	begin := make(chan struct{}) // start the writers together, for overlap
	for w := range writers {
		wg.Go(func() {
			defer writing.Add(-1)
			<-begin
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range transfers {
				from, to := rng.IntN(accounts), rng.IntN(accounts-1)
				if to >= from {
					to++
				}
				amount := 1 + rng.IntN(10)
				for {
					err := b.Update(ctx, func(txn backend.Txn) error { return transfer(txn, from, to, amount) })
					if errors.Is(err, backend.ErrConflict) {
						conflicts.Add(1)
						continue
					}
					if !assert.NoError(t, err, "writer %d", w) {
						return
					}
					break
				}
			}
		})
	}
	var views atomic.Int64
	for r := range readers {
		wg.Go(func() {
			last := 0
			// Read until the writers finish, and at least a few times.
			for i := 0; i < 3 || writing.Load() > 0; i++ {
				if !checkInvariant(t, b, r, accounts, total, &last) {
					return
				}
				views.Add(1)
				// Readers never block; yield so that writers get the
				// processor even with GOMAXPROCS=1.
				runtime.Gosched()
			}
		})
	}
	close(begin)
	wg.Wait()
	t.Logf("%d views checked, %d conflicts retried", views.Load(), conflicts.Load())

	final := contents(t, b)
	require.Len(t, final, accounts+1)
	sum := 0
	for _, e := range final[:accounts] {
		n, err := strconv.Atoi(e.value)
		require.NoError(t, err)
		sum += n
	}
	assert.Equal(t, total, sum, "money was created or lost")
	assert.Equal(t, strconv.Itoa(writers*transfers), final[accounts].value, "transfers were lost")
}

// checkInvariant opens one view and checks the accounts' sum and that the
// transfer count has not gone back since the reader's last view.
func checkInvariant(t *testing.T, b backend.Backend, reader, accounts, total int, last *int) bool {
	v, err := b.View(t.Context())
	if !assert.NoError(t, err, "reader %d", reader) {
		return false
	}
	defer v.Close()
	it := backend.Prefix(v, []byte("acct/"), false)
	n, sum := 0, 0
	for it.Next() {
		x, err := strconv.Atoi(string(it.Value()))
		if !assert.NoError(t, err, "reader %d: key %q", reader, it.Key()) {
			it.Close()
			return false
		}
		n++
		sum += x
	}
	if !assert.NoError(t, it.Close(), "reader %d", reader) {
		return false
	}
	c, err := v.Get([]byte("transfers"), nil)
	if !assert.NoError(t, err, "reader %d", reader) {
		return false
	}
	count, err := strconv.Atoi(string(c))
	ok := assert.NoError(t, err) &&
		assert.Equal(t, accounts, n, "reader %d: accounts seen", reader) &&
		assert.Equal(t, total, sum, "reader %d: a view saw a half-applied transfer", reader) &&
		assert.GreaterOrEqual(t, count, *last, "reader %d: a later view saw fewer transfers", reader)
	*last = count
	return ok
}
