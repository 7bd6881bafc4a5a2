package serventis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every duration falls in a bucket whose bounds contain it, and buckets
// follow the order of durations.
func TestBuckets(t *testing.T) {
	prev := 0
	for d := time.Duration(1); d < 1<<40; d = d*9/8 + 1 {
		i := bucketOf(d)
		require.GreaterOrEqual(t, i, prev, "bucket of %v", d)
		prev = i
		lo, hi := bucketBounds(i)
		if i < numBuckets-1 {
			assert.True(t, float64(d) >= lo && float64(d) < hi, "%v outside bucket %d [%v, %v)", d, i, lo, hi)
		}
		if i > 0 {
			assert.LessOrEqual(t, hi-lo, 0.25*lo, "bucket %d too wide", i)
		}
	}
	assert.Equal(t, 0, bucketOf(-time.Second))
	assert.Equal(t, numBuckets-1, bucketOf(time.Hour))
	for i := 1; i < numBuckets; i++ {
		_, prevHi := bucketBounds(i - 1)
		lo, _ := bucketBounds(i)
		assert.Equal(t, prevHi, lo, "bucket %d does not start where %d ends", i, i-1)
	}
}

// Quantiles read from the histogram are within an eighth of the exact ones.
func TestQuantilesOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sigma := range []float64{0.1, 0.5, 1.5} {
		var h histogram[uint64]
		values := make([]float64, 20000)
		for i := range values {
			d := time.Duration(float64(200*time.Microsecond) * math.Exp(sigma*rng.NormFloat64()))
			values[i] = float64(d)
			h[bucketOf(d)]++
		}
		slices.Sort(values)
		q := quantilesOf(&h, span{0, numBuckets}, uint64(len(values)))
		for _, c := range []struct {
			got float64
			p   float64
		}{{q.p50, 0.50}, {q.p95, 0.95}, {q.p99, 0.99}} {
			exact := values[int(c.p*float64(len(values)))]
			assert.InEpsilon(t, exact, c.got, 0.125, "sigma %v p%v", sigma, c.p*100)
		}
	}
	assert.Equal(t, quantiles{}, quantilesOf(&histogram[uint64]{}, noSpan, 0))
}
