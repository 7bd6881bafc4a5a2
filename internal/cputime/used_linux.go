//go:build linux

package cputime

import (
	"syscall"
	"time"
	"unsafe"
)

const measured = true

// Linux's clock ids (package syscall does not name them). Unlike getrusage,
// whose user and system split is sampled at the scheduler's tick, they are
// exact, so that a span of a few milliseconds is measured too.
const (
	clockProcessCPUTime = 2
	clockThreadCPUTime  = 3
)

// used returns the processor time the process has used.
func used() time.Duration {
	d, _ := clock(clockProcessCPUTime)
	return d
}

// Thread returns the processor time the calling OS thread has used, and
// true. It measures a goroutine only while the goroutine is locked to its
// thread (runtime.LockOSThread); then the time other goroutines run, and
// the time it waits for a processor or a lock, are not counted.
func Thread() (time.Duration, bool) { return clock(clockThreadCPUTime) }

func clock(id uintptr) (time.Duration, bool) {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
