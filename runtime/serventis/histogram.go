package serventis

import (
	"math/bits"
	"time"
)

// Latencies are counted in fixed log-scale buckets: four per power of two
// from 64 ns up, so a bucket is at most a quarter of its lower bound wide
// and a quantile read from the counts (interpolating inside the bucket) is
// within about 12% of the true one. Bucket 0 also holds everything below
// 64 ns, the last everything from 4 minutes up.
const (
	subBits    = 2
	subBuckets = 1 << subBits
	minExp     = 6 // 2^6 ns = 64 ns
	octaves    = 32
	numBuckets = octaves * subBuckets
)

// histogram is latency counts by bucket: 32-bit for a slot's digest,
// 64-bit for a window's merged counts.
type histogram[C uint32 | uint64] [numBuckets]C

// span is the range of buckets [lo, hi) outside which a histogram is empty;
// walking only the span keeps merging and reading quantiles cheap, since
// the latencies of one subject rarely spread over more than a few octaves.
type span struct{ lo, hi int }

// noSpan is the span of an empty histogram.
var noSpan = span{numBuckets, 0}

// union returns the smallest span covering s and o.
func (s span) union(o span) span { return span{min(s.lo, o.lo), max(s.hi, o.hi)} }

// bucketOf returns the bucket counting d. It is a few instructions: the
// octave from the bit length, the sub-bucket from the two bits below the
// leading one.
func bucketOf(d time.Duration) int {
	v := uint64(d)
	if d < 1<<minExp {
		return 0
	}
	e := bits.Len64(v) - 1
	i := (e-minExp)<<subBits | int(v>>(e-subBits))&(subBuckets-1)
	return min(i, numBuckets-1)
}

// bucketBounds returns the range [lo, hi) of bucket i in nanoseconds.
func bucketBounds(i int) (lo, hi float64) {
	unit := float64(uint64(1) << (i>>subBits + minExp - subBits))
	lo = float64(subBuckets+i&(subBuckets-1)) * unit
	hi = lo + unit
	if i == 0 {
		lo = 0
	}
	return lo, hi
}

// quantiles are the latency figures read from a histogram, in nanoseconds.
type quantiles struct{ p50, p95, p99 float64 }

// quantilesOf reads the 50th, 95th and 99th percentiles of the n values
// counted in h within sp in one pass, interpolating linearly inside a
// bucket. With n == 0 all three are 0.
func quantilesOf[C uint32 | uint64](h *histogram[C], sp span, n uint64) quantiles {
	var q quantiles
	if n == 0 {
		return q
	}
	ranks := [3]float64{0.50 * float64(n), 0.95 * float64(n), 0.99 * float64(n)}
	out := [3]*float64{&q.p50, &q.p95, &q.p99}
	next, cum := 0, 0.0
	for i := sp.lo; i < sp.hi; i++ {
		c := float64(h[i])
		if c == 0 {
			continue
		}
		top := cum + c
		for next < len(ranks) && ranks[next] <= top {
			lo, hi := bucketBounds(i)
			*out[next] = lo + (hi-lo)*(ranks[next]-cum)/c
			next++
		}
		if next == len(ranks) {
			break
		}
		cum = top
	}
	return q
}
