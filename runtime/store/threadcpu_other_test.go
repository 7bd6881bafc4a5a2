//go:build !linux

package store_test

import "time"

// threadCPU reports false: thread CPU time is read only on Linux.
func threadCPU() (time.Duration, bool) { return 0, false }
