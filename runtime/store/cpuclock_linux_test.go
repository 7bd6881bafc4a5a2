//go:build linux

package store_test

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuClocks returns the CPU time the calling OS thread and the whole
// process have used, and true. The thread's measures a goroutine only while
// that goroutine is locked to its thread (runtime.LockOSThread): then the
// time other goroutines run, and the time the goroutine waits for a
// processor or a lock, are not counted.
func cpuClocks() (thread, process time.Duration, ok bool) {
	var t, p unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t) != nil ||
		unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &p) != nil {
		return 0, 0, false
	}
	return time.Duration(t.Nano()), time.Duration(p.Nano()), true
}
