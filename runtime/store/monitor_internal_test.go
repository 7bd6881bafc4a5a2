package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
)

// BenchmarkMeasure is the measurement path alone — begin and end of a
// successful get — with monitoring off and on, at the rate of a tight
// loop, where one operation in 64 is timed: what monitoring adds to every
// operation, without the operation's noise.
func BenchmarkMeasure(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			db, err := Open(memory.New(), WithMonitoring(on))
			require.NoError(b, err)
			defer db.Close()
			m := db.storeMonitor("bench")
			b.ReportAllocs()
			for b.Loop() {
				r := db.begin(m, kindGet)
				db.end(m, kindGet, r, nil)
			}
		})
	}
}
