//go:build !unix

package pebble

import "testing"

// cpuPerOp reports nothing where the processor time is not measured;
// bench/ratios then compares ns/op.
func cpuPerOp(*testing.B) func() { return func() {} }
