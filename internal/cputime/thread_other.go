//go:build !linux

package cputime

import "time"

// Thread reports false: a thread's processor time is read only on Linux.
func Thread() (time.Duration, bool) { return 0, false }
