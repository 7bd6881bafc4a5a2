//go:build linux

package store_test

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time the calling OS thread has used, and true.
// It measures a goroutine only while that goroutine is locked to its thread
// (runtime.LockOSThread): then the time other goroutines run, and the time
// the goroutine waits for a processor or a lock, are not counted.
func threadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
