//go:build unix

package pebble

import (
	"syscall"
	"testing"
	"time"
)

// cpuPerOp returns a function that reports the processor time the process
// used per operation, as the metric cpu-ns/op (the name and meaning
// bench/internal/cputime uses, which this package may not import). Unlike
// ns/op it leaves out time spent waiting for a busy processor, so a pair
// compared on a loaded machine stays comparable; it includes the garbage
// collector and the engine's background work. bench/ratios prefers it.
// Defer the result right before the b.Loop loop.
func cpuPerOp(b *testing.B) func() {
	start := processCPU()
	return func() {
		if used := processCPU() - start; start > 0 && b.N > 0 {
			b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/op")
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
