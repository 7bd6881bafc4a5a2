package record

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/synapsed/storegen/internal/cputime"
)

// The codec benchmarks pair the generated codec (storegen) with
// encoding/json (json) on the same Order. bench/report reads the pairs.

// BenchmarkEncode encodes into a buffer reused across iterations, on both
// sides: the generated encoder appends to it, json writes through an
// Encoder into a reset bytes.Buffer.
func BenchmarkEncode(b *testing.B) {
	v := Sample(1)
	b.Run("storegen", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			var err error
			buf, err = encodeOrder(buf[:0], &v)
			if err != nil {
				b.Fatal(err)
			}
		}
		var got Order
		if err := decodeOrder(buf, &got); err != nil {
			b.Fatal(err)
		}
		same(b, v, got)
		b.ReportMetric(float64(len(buf)), "bytes")
	})
	b.Run("json", func(b *testing.B) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			buf.Reset()
			if err := enc.Encode(&v); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes")
	})
}

// BenchmarkDecode decodes into a fresh Order each time, on both sides: json
// would otherwise reuse the slices and map of the previous result. It also
// reports varfields, the number of variable-length fields of Order that a
// decoder may allocate for (see variableLength).
func BenchmarkDecode(b *testing.B) {
	want := Sample(1)
	enc, err := encodeOrder(nil, &want)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(&want)
	if err != nil {
		b.Fatal(err)
	}
	fields := float64(variableLength(reflect.TypeFor[Order]()))
	b.Run("storegen", func(b *testing.B) {
		var got Order
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			got = Order{}
			if err := decodeOrder(enc, &got); err != nil {
				b.Fatal(err)
			}
		}
		same(b, want, got)
		b.ReportMetric(fields, "varfields")
	})
	b.Run("json", func(b *testing.B) {
		var got Order
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		for b.Loop() {
			got = Order{}
			if err := json.Unmarshal(js, &got); err != nil {
				b.Fatal(err)
			}
		}
		same(b, want, got)
		b.ReportMetric(fields, "varfields")
	})
}

// variableLength counts the fields of struct type t, those of nested
// structs included, whose decoded value needs memory of its own: strings,
// slices, maps and pointers. A time.Time decodes in place.
func variableLength(t reflect.Type) int {
	n := 0
	for f := range t.Fields() {
		switch f.Type.Kind() {
		case reflect.String, reflect.Slice, reflect.Map, reflect.Pointer:
			n++
		case reflect.Struct:
			if f.Type != reflect.TypeFor[time.Time]() {
				n += variableLength(f.Type)
			}
		}
	}
	return n
}

// same fails b unless got equals want, so that no benchmark measures a
// decoder that drops fields.
func same(b *testing.B, want, got Order) {
	b.Helper()
	if !reflect.DeepEqual(want, got) {
		b.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}
