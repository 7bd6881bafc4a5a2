package ycsb

import (
	"math"
	"math/rand/v2"
	"testing"
)

// zipfianConstant is YCSB's default skew, theta.
const zipfianConstant = 0.99

// zipfian draws ranks 0..n-1 with P(rank i) proportional to 1/(i+1)^theta,
// by the method of Gray et al., "Quickly Generating Billion-Record
// Synthetic Databases" (SIGMOD 1994), as YCSB's ZipfianGenerator does:
// rank 0 is the most popular.
type zipfian struct {
	r                 *rand.Rand
	n                 float64
	theta, alpha, eta float64
	zetan, half2theta float64
}

func newZipfian(r *rand.Rand, n int, theta float64) *zipfian {
	zetan := zeta(n, theta)
	return &zipfian{
		r:          r,
		n:          float64(n),
		theta:      theta,
		alpha:      1 / (1 - theta),
		zetan:      zetan,
		eta:        (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta(2, theta)/zetan),
		half2theta: 1 + math.Pow(0.5, theta),
	}
}

// zeta returns the sum of 1/i^theta for i from 1 to n.
func zeta(n int, theta float64) float64 {
	var sum float64
	for i := 1; i <= n; i++ {
		sum += 1 / math.Pow(float64(i), theta)
	}
	return sum
}

// next returns the next rank.
func (z *zipfian) next() int {
	u := z.r.Float64()
	uz := u * z.zetan
	switch {
	case uz < 1:
		return 0
	case uz < z.half2theta:
		return 1
	}
	return min(int(z.n*math.Pow(z.eta*u-z.eta+1, z.alpha)), int(z.n)-1)
}

// scrambledZipfian draws items 0..n-1 with the popularity of a zipfian but
// the popular items spread over the key space rather than all at its
// start, as YCSB's default request distribution (ScrambledZipfianGenerator)
// does: the rank is hashed with FNV-1a and taken modulo n.
type scrambledZipfian struct {
	z *zipfian
	n uint64
}

func newScrambledZipfian(r *rand.Rand, n int) *scrambledZipfian {
	return &scrambledZipfian{z: newZipfian(r, n, zipfianConstant), n: uint64(n)}
}

func (s *scrambledZipfian) next() int { return int(fnv64(uint64(s.z.next())) % s.n) }

// fnv64 is YCSB's Utils.fnvhash64: FNV-1a over the eight bytes of v, low
// byte first, made non-negative.
func fnv64(v uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	for range 8 {
		h ^= v & 0xff
		h *= 1099511628211
		v >>= 8
	}
	if int64(h) < 0 {
		h = uint64(-int64(h))
	}
	return h
}

// TestZipfian checks the generator against the distribution it draws from.
// Gray's method is exact for the first two ranks and approximates the
// rest (it draws rank 2 about a sixth too often), so the check is on the
// first two shares and on the cumulative shares of the most popular ranks,
// as a cache sees them.
func TestZipfian(t *testing.T) {
	const n, draws = 1000, 400_000
	z := newZipfian(rand.New(rand.NewPCG(1, 2)), n, zipfianConstant)
	counts := make([]int, n)
	for range draws {
		i := z.next()
		if i < 0 || i >= n {
			t.Fatalf("rank %d out of [0, %d)", i, n)
		}
		counts[i]++
	}
	zetan := zeta(n, zipfianConstant)
	var got, want float64
	for rank := range n {
		got += float64(counts[rank]) / draws
		want += 1 / math.Pow(float64(rank+1), zipfianConstant) / zetan
		tolerance := 0.05
		switch rank {
		case 0, 1:
			tolerance = 0.03
		case 9, 99, 499:
		default:
			continue
		}
		if math.Abs(got-want) > tolerance*want {
			t.Errorf("ranks 0 to %d drawn %.4f of the time, want %.4f", rank, got, want)
		}
	}

	s := newScrambledZipfian(rand.New(rand.NewPCG(3, 4)), n)
	for range 10_000 {
		if i := s.next(); i < 0 || i >= n {
			t.Fatalf("scrambled item %d out of [0, %d)", i, n)
		}
	}
}
