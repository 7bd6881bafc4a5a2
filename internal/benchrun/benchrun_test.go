package benchrun_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/synapsed/storegen/internal/benchrun"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkGet/native-2         	  705216	      1611 ns/op	      1502 cpu-ns/op	       0 B/op	       0 allocs/op
BenchmarkGet/backend          	  705216	      1700 ns/op	       8 B/op	       1 allocs/op
BenchmarkWatcherOverhead/memory-2 	 492	   4646761 ns/op	       240.2 added-ns/put
--- FAIL: BenchmarkBroken
PASS
`
	got := benchrun.Parse(strings.NewReader(out))
	assert.Equal(t, map[string]benchrun.Sample{
		"Get/native":             {"ns/op": 1611, "cpu-ns/op": 1502, "B/op": 0, "allocs/op": 0},
		"Get/backend":            {"ns/op": 1700, "B/op": 8, "allocs/op": 1},
		"WatcherOverhead/memory": {"ns/op": 4646761, "added-ns/put": 240.2},
	}, got)

	ns, cpu := got["Get/native"].Time()
	assert.Equal(t, 1502.0, ns, "processor time when reported")
	assert.True(t, cpu)
	ns, cpu = got["Get/backend"].Time()
	assert.Equal(t, 1700.0, ns, "else wall-clock time")
	assert.False(t, cpu)
}

func TestSpreadOf(t *testing.T) {
	assert.Equal(t, benchrun.Spread{Med: 2, Lo: 1, Hi: 9}, benchrun.SpreadOf([]float64{9, 1, 2}))
	assert.Equal(t, benchrun.Spread{Med: 2.5, Lo: 1, Hi: 9}, benchrun.SpreadOf([]float64{9, 1, 2, 3}))
	assert.Equal(t, benchrun.Spread{}, benchrun.SpreadOf(nil))
	v := []float64{3, 1, 2}
	benchrun.SpreadOf(v)
	assert.Equal(t, []float64{3, 1, 2}, v, "the input is left as it was")
}
