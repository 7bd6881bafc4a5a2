// Package faulty wraps a backend.Backend and injects faults into its
// calls — errors at a rate, added latency, jitter, periodic stalls, an
// outage — so that tests can drive a real store into the conditions its
// monitoring must recognise. It is for tests only, which the internal
// directory enforces: nothing outside runtime/store can import it.
package faulty

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/synapsed/storegen/runtime/backend"
)

// ErrInjected is the error every injected failure wraps.
var ErrInjected = errors.New("faulty: injected fault")

// Fault is what the wrapper does to calls. The zero Fault does nothing.
//
// Latency, jitter and stalls delay reads (Get, View) only: writes are
// serialised by the DB, so delays added to them would throttle the load
// rather than slow it (and, on a virtual clock, a write parked while it
// holds the DB's commit lock would block the writers behind it for
// good). Errors and outages apply to every call but Stats and Close, so
// that monitoring can still read the backend.
type Fault struct {
	// ErrorRate is the share of calls that fail with ErrInjected, at
	// once.
	ErrorRate float64
	// Latency is added to every read; Spread, if not zero, varies it
	// log-normally, as latencies do: each read gets Latency × e^(Spread×Z)
	// for a standard normal Z (0.25 puts the 95th percentile at about 1.5
	// times the median).
	Latency time.Duration
	Spread  float64
	// Jitter and JitterRate delay a share JitterRate of reads by a
	// further random span of up to Jitter.
	Jitter     time.Duration
	JitterRate float64
	// StallEvery and StallFor make the backend stall for StallFor at the
	// start of every StallEvery: a read that arrives during a stall waits
	// until it ends, like reads from a disk that stops to flush.
	StallEvery, StallFor time.Duration
	// Down makes every call fail with ErrInjected.
	Down bool
}

// Clock is the time faults are injected on: Now times stalls, Sleep
// delays a call. Tests that need delays measured exactly, whatever the
// machine's load, pass a virtual clock (and give the DB the same Now).
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the process's clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Backend is a backend.Backend that injects the Fault last set.
type Backend struct {
	inner backend.Backend
	clock Clock
	fault atomic.Pointer[Fault]
	epoch time.Time // stalls are timed from here
}

// Wrap returns b wrapped, on the real clock, injecting nothing until Set
// is called.
func Wrap(b backend.Backend) *Backend { return WrapOn(b, realClock{}) }

// WrapOn is Wrap on clock c.
func WrapOn(b backend.Backend, c Clock) *Backend {
	w := &Backend{inner: b, clock: c, epoch: c.Now()}
	w.fault.Store(&Fault{})
	return w
}

// Set makes f the fault injected into calls from now on; calls already
// waiting keep the fault they started with.
func (b *Backend) Set(f Fault) { b.fault.Store(&f) }

// enter applies the current fault to a call and reports the error it
// injects, if any; a read also takes its delays.
func (b *Backend) enter(ctx context.Context, read bool) error {
	f := b.fault.Load()
	if f.Down || f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
		return ErrInjected
	}
	if !read {
		return nil
	}
	var wait time.Duration
	if f.StallEvery > 0 && f.StallFor > 0 {
		if in := b.clock.Now().Sub(b.epoch) % f.StallEvery; in < f.StallFor {
			wait = f.StallFor - in
		}
	}
	if f.Spread != 0 {
		wait += time.Duration(float64(f.Latency) * math.Exp(f.Spread*rand.NormFloat64()))
	} else {
		wait += f.Latency
	}
	if f.JitterRate > 0 && rand.Float64() < f.JitterRate {
		wait += rand.N(f.Jitter + 1)
	}
	if wait <= 0 {
		return nil
	}
	return b.clock.Sleep(ctx, wait)
}

// Get implements backend.Backend.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := b.enter(ctx, true); err != nil {
		return nil, err
	}
	return b.inner.Get(ctx, key, buf)
}

// View implements backend.Backend.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := b.enter(ctx, true); err != nil {
		return nil, err
	}
	return b.inner.View(ctx)
}

// Update implements backend.Backend.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	if err := b.enter(ctx, false); err != nil {
		return err
	}
	return b.inner.Update(ctx, fn)
}

// Flush implements backend.Backend.
func (b *Backend) Flush(ctx context.Context) error {
	if err := b.enter(ctx, false); err != nil {
		return err
	}
	return b.inner.Flush(ctx)
}

// Stats implements backend.Backend; it is never faulted.
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) { return b.inner.Stats(ctx) }

// Close implements backend.Backend; it is never faulted.
func (b *Backend) Close() error { return b.inner.Close() }
