package ycsb

import (
	"context"
	"testing"

	"github.com/synapsed/storegen/bench/record"
	"github.com/synapsed/storegen/internal/cputime"
	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/compress"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

// recordSet is a kind of record the compression benchmark stores: n of
// them, put and read back by number through a generated store.
type recordSet struct {
	name string
	// keyspace is the store's name, under which the runtime keeps the
	// encoded records.
	keyspace string
	n        int
	// open returns the set's store in db as its operations on record i.
	open func(db *store.DB) (put func(ctx context.Context, i int) error, get func(ctx context.Context, i int) error)
}

var recordSets = []recordSet{
	{name: "order", keyspace: "order", n: records, open: func(db *store.DB) (func(context.Context, int) error, func(context.Context, int) error) {
		orders := record.NewOrderStore(db)
		samples := make([]record.Order, records)
		for i := range samples {
			samples[i] = record.Sample(i)
		}
		put := func(ctx context.Context, i int) error { return orders.Put(ctx, samples[i]) }
		get := func(ctx context.Context, i int) error {
			_, err := orders.Get(ctx, samples[i].ID)
			return err
		}
		return put, get
	}},
	{name: "ycsb", keyspace: "record", n: records, open: func(db *store.DB) (func(context.Context, int) error, func(context.Context, int) error) {
		rows := NewRecordStore(db)
		d := newDataset()
		put := func(ctx context.Context, i int) error { return rows.Put(ctx, d.rows[i]) }
		get := func(ctx context.Context, i int) error {
			_, err := rows.Get(ctx, d.rows[i].Key)
			return err
		}
		return put, get
	}},
}

var codecs = []compress.Codec{compress.LZ4, compress.Zstd, compress.Snappy, compress.S2}

// BenchmarkCompression measures the compress layer end to end: typed Puts
// and Gets through the generated store on the memory engine, so that the
// codec's cost is not hidden behind an engine's, bare and under each
// codec. The records are the orders of bench/record (sixteen fields of the
// kinds a program stores, about 400 bytes encoded) and this package's YCSB
// rows of text (about a kilobyte). MB/s counts encoded record bytes;
// "ratio" is the layer's compress_raw_bytes over compress_stored_bytes
// (Stats().Figures) after every record was stored once, index entries and
// headers included.
func BenchmarkCompression(b *testing.B) {
	for _, set := range recordSets {
		size := encodedSize(b, set)
		b.Run(set.name+"/none", func(b *testing.B) {
			benchmarkCodec(b, set, size, func(e backend.Backend) backend.Backend { return e })
		})
		for _, c := range codecs {
			b.Run(set.name+"/"+c.String(), func(b *testing.B) {
				benchmarkCodec(b, set, size, func(e backend.Backend) backend.Backend { return compress.New(e, c) })
			})
		}
	}
}

func benchmarkCodec(b *testing.B, set recordSet, size int64, layer func(backend.Backend) backend.Backend) {
	ctx := context.Background()
	top := layer(memory.New())
	db, err := store.Open(top)
	must(b, err)
	b.Cleanup(func() { db.Close() })
	put, get := set.open(db)
	for i := range set.n {
		must(b, put(ctx, i))
	}
	ratio := 1.0
	if _, ok := top.(*compress.Backend); ok {
		st, err := top.Stats(ctx)
		must(b, err)
		ratio = float64(st.Figures["compress_raw_bytes"]) / float64(st.Figures["compress_stored_bytes"])
	}
	// Reads and writes visit the records in a scattered order.
	const stride = 7919
	b.Run("put", func(b *testing.B) {
		b.SetBytes(size)
		i := 0
		defer cputime.PerOp(b)()
		for b.Loop() {
			must(b, put(ctx, i*stride%set.n))
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		b.ReportMetric(ratio, "ratio")
	})
	b.Run("get", func(b *testing.B) {
		b.SetBytes(size)
		i := 0
		defer cputime.PerOp(b)()
		for b.Loop() {
			must(b, get(ctx, i*stride%set.n))
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		b.ReportMetric(ratio, "ratio")
	})
}

// encodedSize returns the average size of set's records as the store
// encodes them, read from a bare memory engine.
func encodedSize(b *testing.B, set recordSet) int64 {
	ctx := context.Background()
	mem := memory.New()
	db, err := store.Open(mem)
	must(b, err)
	defer db.Close()
	put, _ := set.open(db)
	for i := range set.n {
		must(b, put(ctx, i))
	}
	view, err := mem.View(ctx)
	must(b, err)
	defer view.Close()
	// The runtime keeps a store's records under its name and 0x00, and its
	// index entries elsewhere.
	prefix := append([]byte(set.keyspace), 0x00)
	var total, count int64
	it := backend.Prefix(view, prefix, false)
	for it.Next() {
		total += int64(len(it.Value()))
		count++
	}
	must(b, it.Close())
	return total / max(count, 1)
}
