package ycsb

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synapsed/storegen/internal/cputime"
	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/pebble"
	"github.com/synapsed/storegen/runtime/store"
)

// records is the number of rows loaded, YCSB's recordcount.
const records = 10_000

// workload is a YCSB core workload: the share of its operations that read
// a record; the others update one.
type workload struct {
	name      string
	readShare float64
}

var workloads = []workload{
	{"A", 0.50}, // update heavy: a session store recording recent actions
	{"B", 0.95}, // read mostly: photo tagging
	{"C", 1.00}, // read only: a user profile cache
}

// dataset is the rows the benchmarks load and the text updates draw from.
type dataset struct {
	rows   []Record
	fields []string // values of 100 bytes for updated fields
}

// fieldLength is YCSB's fieldlength.
const fieldLength = 100

// words are the vocabulary of the field values: text, unlike YCSB's
// random bytes, so that the compression figures mean something.
var words = strings.Fields(`the order was shipped from our warehouse on monday and should
arrive within three business days please contact customer support if the parcel
is late damaged or missing we will send a replacement at no extra cost thank you
for shopping with us your account balance invoice payment card delivery address
returned refunded tracking number status updated pending confirmed cancelled`)

func newDataset() *dataset {
	r := rand.New(rand.NewPCG(7, 7))
	d := &dataset{fields: make([]string, 4096)}
	for i := range d.fields {
		d.fields[i] = text(r, fieldLength)
	}
	d.rows = make([]Record, records)
	for i := range d.rows {
		row := Record{Key: key(i)}
		for f := range 10 {
			setField(&row, f, d.fields[r.IntN(len(d.fields))])
		}
		d.rows[i] = row
	}
	return d
}

// key is YCSB's key of row i with insertorder=hashed: "user" and a hash of
// i, so that rows are not loaded in key order.
func key(i int) string { return "user" + strconv.FormatUint(fnv64(uint64(i)), 10) }

// text returns n bytes of words.
func text(r *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

func setField(row *Record, f int, v string) {
	fields := [...]*string{&row.Field0, &row.Field1, &row.Field2, &row.Field3, &row.Field4,
		&row.Field5, &row.Field6, &row.Field7, &row.Field8, &row.Field9}
	*fields[f] = v
}

// loadSettled loads d into a new Pebble database through wrap (a layer,
// or none), then compacts it, so that reads start from a settled LSM tree
// rather than from the level-0 files the load left, which make them a
// third slower.
func loadSettled(b *testing.B, d *dataset, wrap func(backend.Backend) backend.Backend) *RecordStore {
	b.Helper()
	p, err := pebble.Open(b.TempDir(), pebble.NoSync())
	must(b, err)
	s := fill(b, wrap(p), d)
	must(b, p.Compact(context.Background()))
	return s
}

// fill opens a DB on e and stores every row of d in it, in batches.
func fill(b *testing.B, e backend.Backend, d *dataset) *RecordStore {
	b.Helper()
	db, err := store.Open(e)
	must(b, err)
	b.Cleanup(func() { db.Close() })
	s := NewRecordStore(db)
	const batch = 500
	for i := 0; i < len(d.rows); i += batch {
		must(b, s.PutAll(context.Background(), d.rows[i:min(i+batch, len(d.rows))]))
	}
	return s
}

// op is one operation of a workload: a read of row, or, when field is
// not negative, an update of row that sets that field to fields[value].
type op struct {
	row          int32
	field, value int16
}

// planLength is how many operations a plan holds; a client runs them in a
// loop.
const planLength = 1 << 18

// plan draws a workload's operations ahead of the clock, with keys from
// YCSB's scrambled Zipfian over d's rows, so that the benchmarks time the
// stores and not the drawing: a Zipfian draw costs about 80 ns, a sixth
// of a cached read.
func plan(d *dataset, w workload, seed uint64) []op {
	r := rand.New(rand.NewPCG(seed, 1))
	keys := newScrambledZipfian(r, len(d.rows))
	ops := make([]op, planLength)
	for i := range ops {
		ops[i] = op{row: int32(keys.next()), field: -1}
		if r.Float64() >= w.readShare {
			ops[i].field, ops[i].value = int16(r.IntN(10)), int16(r.IntN(len(d.fields)))
		}
	}
	return ops
}

// client runs a plan's operations on a store, one at a time, as one YCSB
// client thread does.
type client struct {
	s   *RecordStore
	d   *dataset
	ops []op
	n   int // operations run
	ctx context.Context
}

func newClient(s *RecordStore, d *dataset, ops []op) *client {
	return &client{s: s, d: d, ops: ops, ctx: context.Background()}
}

// step runs the next operation: a read of a whole row, or an update, which
// writes the row with one field replaced (a typed store writes whole
// records, as YCSB does with writeallfields=true).
func (c *client) step(b *testing.B) {
	o := c.ops[c.n%len(c.ops)]
	c.n++
	row := &c.d.rows[o.row]
	if o.field < 0 {
		if _, err := c.s.Get(c.ctx, row.Key); err != nil {
			b.Fatal(err)
		}
		return
	}
	setField(row, int(o.field), c.d.fields[o.value])
	if err := c.s.Put(c.ctx, *row); err != nil {
		b.Fatal(err)
	}
}

// warmup is how many operations run before timing starts, so that caches
// (the layer's, Pebble's block cache, the page cache) hold the hot rows.
const warmup = records

// BenchmarkYCSB runs workloads A, B and C on every engine, each on a
// database freshly loaded with the same rows (Pebble's compacted after the
// load), so that no workload inherits another's backlog of compactions. It
// reports operations per second and the processor time the process used
// per operation (cpu-ns/op, which a busy machine inflates less than ns/op;
// it leaves out the work of redis-server, which runs in a process of its
// own). The pebble+lru engine also reports its cache's hit rate.
func BenchmarkYCSB(b *testing.B) {
	d := newDataset()
	plans := make([][]op, len(workloads))
	for i, w := range workloads {
		plans[i] = plan(d, w, 1)
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			for i, w := range workloads {
				b.Run(w.name, func(b *testing.B) {
					c := newClient(e.load(b, d), d, plans[i])
					for range warmup {
						c.step(b)
					}
					hits, misses := cacheHits.Load(), cacheMisses.Load()
					report := cputime.PerOp(b)
					for b.Loop() {
						c.step(b)
					}
					report()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
					if e.name == pebbleLRU.name {
						h, m := cacheHits.Load()-hits, cacheMisses.Load()-misses
						b.ReportMetric(100*float64(h)/float64(max(h+m, 1)), "hit%")
					}
				})
			}
		})
	}
}

// BenchmarkCacheSpeedup measures the read cache over Pebble on workloads B
// and C against bare Pebble in the same process: both databases hold the
// same rows, compacted after loading, and run the same operations, in
// alternating chunks so that a
// change in the machine's load reaches both. The chunks are long (tens to
// hundreds of milliseconds) because each database's turn evicts the
// other's working set from the processor caches, and the cached reads,
// bound by memory latency, pay for it most: in 200-operation chunks the
// cached side ran 15–20% slower than alone, in 50,000-operation chunks as
// fast as alone. It reports both throughputs and their ratio, and fails
// when the cache is less than minSpeedup times faster.
func BenchmarkCacheSpeedup(b *testing.B) {
	const (
		minSpeedup = 3
		chunk      = 50_000
	)
	d := newDataset()
	for _, w := range workloads[1:] {
		b.Run(w.name, func(b *testing.B) {
			ops := plan(d, w, 1)
			bare := newClient(pebbleEngine.load(b, d), d, ops)
			cached := newClient(pebbleLRU.load(b, d), d, ops)
			// A round of warm-up, so that the first timed one does not
			// pay for filling the caches and compacting what load wrote.
			for range chunk {
				bare.step(b)
			}
			for range chunk {
				cached.step(b)
			}
			var tBare, tCached time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				for range chunk {
					bare.step(b)
				}
				mid := time.Now()
				for range chunk {
					cached.step(b)
				}
				tCached += time.Since(mid)
				tBare += mid.Sub(start)
				n += chunk
			}
			bareRate, cachedRate := float64(n)/tBare.Seconds(), float64(n)/tCached.Seconds()
			speedup := cachedRate / bareRate
			b.ReportMetric(bareRate, "bare-ops/s")
			b.ReportMetric(cachedRate, "cached-ops/s")
			b.ReportMetric(speedup, "speedup")
			if speedup < minSpeedup {
				// A failed benchmark prints no metrics, so the message
				// carries them.
				b.Errorf("workload %s: Pebble %.0f ops/s, with the cache %.0f ops/s: %.2f× faster, below the target of %d×",
					w.name, bareRate, cachedRate, speedup, minSpeedup)
			}
		})
	}
}
