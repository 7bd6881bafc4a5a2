package compress_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/compress"
	"github.com/synapsed/storegen/runtime/backend/memory"
)

// BenchmarkCodec measures each codec on realistic records, one value at a
// time as the layer uses it: MB/s counts raw bytes, and "ratio" is raw
// bytes over stored bytes, header included.
//
//	go test -run '^$' -bench BenchmarkCodec -benchmem ./runtime/backend/compress/
func BenchmarkCodec(b *testing.B) {
	recs := records(1000)
	var raw int64
	for _, r := range recs {
		raw += int64(len(r))
	}
	for _, c := range codecs {
		stored := make([][]byte, len(recs))
		var size int64
		for i, r := range recs {
			stored[i] = compress.Encode(nil, r, c)
			size += int64(len(stored[i]))
		}
		ratio := float64(raw) / float64(size)
		avg := raw / int64(len(recs))
		b.Run(c.String()+"/compress", func(b *testing.B) {
			b.SetBytes(avg)
			b.ReportAllocs()
			dst := make([]byte, 0, 4096)
			i := 0
			for b.Loop() {
				dst = compress.Encode(dst[:0], recs[i%len(recs)], c)
				i++
			}
			b.ReportMetric(ratio, "ratio")
		})
		b.Run(c.String()+"/decompress", func(b *testing.B) {
			b.SetBytes(avg)
			b.ReportAllocs()
			dst := make([]byte, 0, 4096)
			i := 0
			for b.Loop() {
				var err error
				if dst, err = compress.Decode(dst[:0], stored[i%len(stored)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(ratio, "ratio")
		})
	}
}

// BenchmarkGet measures Backend.Get of a record through the layer over the
// memory engine, per codec: the decode cost a reader pays.
func BenchmarkGet(b *testing.B) {
	recs := records(1000)
	for _, c := range codecs {
		b.Run(c.String(), func(b *testing.B) {
			db := compress.New(memory.New(), c)
			defer db.Close()
			keys := make([][]byte, len(recs))
			require.NoError(b, db.Update(context.Background(), func(txn backend.Txn) error {
				for i, r := range recs {
					keys[i] = fmt.Appendf(nil, "user/%04d", i)
					if err := txn.Set(keys[i], r); err != nil {
						return err
					}
				}
				return nil
			}))
			ctx, buf := context.Background(), make([]byte, 0, 4096)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := db.Get(ctx, keys[i%len(keys)], buf[:0]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
