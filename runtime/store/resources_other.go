//go:build !linux

package store

import "errors"

// filesystem is not implemented here: disk capacity is reported unknown.
func filesystem(string) (total, free int64, err error) { return 0, 0, errors.ErrUnsupported }

// physicalMemory is not implemented here: without GOMEMLIMIT, memory
// capacity is reported unknown.
func physicalMemory() int64 { return 0 }
