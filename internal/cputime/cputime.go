// Package cputime reports the processor time a benchmark used per
// operation, next to the wall-clock ns/op of package testing. On a machine
// that other work keeps busy, wall-clock time also counts the time the
// benchmark waited for a processor; the process's own processor time (all
// its threads: the garbage collector's and an engine's background work
// included) does not, so ratios of it vary less from run to run.
package cputime

import (
	"testing"
	"time"
)

// Meter adds up the processor time used while it runs, like the timer of
// a testing.B.
type Meter struct {
	b       *testing.B
	total   time.Duration
	since   time.Duration
	running bool
}

// Start returns a running Meter for b.
func Start(b *testing.B) *Meter {
	return &Meter{b: b, since: used(), running: true}
}

// Stop pauses the meter, for work that b.StopTimer also leaves out.
func (m *Meter) Stop() {
	if m.running {
		m.total += used() - m.since
		m.running = false
	}
}

// Resume restarts a stopped meter.
func (m *Meter) Resume() {
	if !m.running {
		m.since, m.running = used(), true
	}
}

// Report stops the meter and reports the processor time per iteration of
// b as the metric "cpu-ns/op".
func (m *Meter) Report() {
	m.Stop()
	if measured && m.b.N > 0 {
		m.b.ReportMetric(float64(m.total)/float64(m.b.N), "cpu-ns/op")
	}
}

// Process returns the processor time the process has used, and whether it
// is measured here.
func Process() (time.Duration, bool) { return used(), measured }

// PerOp starts a Meter and returns its Report, for a benchmark loop that
// does not stop its timer:
//
//	defer cputime.PerOp(b)()
//	for b.Loop() { … }
func PerOp(b *testing.B) func() { return Start(b).Report }
