package serventis

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/substrates"
)

// newKit returns a Kit on a fresh circuit, closed with the test.
func newKit(t testing.TB) (*Kit, *substrates.Circuit) {
	cx := substrates.NewCortex()
	t.Cleanup(cx.Close)
	c := cx.Circuit("serventis")
	return NewKit(c), c
}

// emission is one value seen by a subscriber, with the channel it came on.
type emission[E any] struct {
	channel string
	value   E
}

// listen subscribes to cd and collects what it emits; read the result only
// after the circuit's Await.
func listen[E any](cd *substrates.Conduit[E]) *[]emission[E] {
	var got []emission[E]
	cd.Subscribe(func(s substrates.Subject, r substrates.Registrar[E]) {
		name := s.Name().String()
		r.Register(substrates.PipeFunc[E](func(e E) { got = append(got, emission[E]{name, e}) }))
	})
	return &got
}

func TestKitInstrumentsEmit(t *testing.T) {
	kit, c := newKit(t)
	services, monitors, reporters := listen(kit.Services()), listen(kit.Monitors()), listen(kit.Reporters())
	probes, resources, queues := listen(kit.Probes()), listen(kit.Resources()), listen(kit.Queues())

	svc := kit.Service("store.users")
	svc.Call()
	svc.Succeed()
	svc.Failed()
	svc.Signal(Expire, Receipt)
	kit.Monitor("store.users").Status(Status{Degraded, Measured})
	kit.Reporter("db").Situation(Warning)
	probe := kit.Probe("backend.redis")
	probe.Fail(OperationConnect)
	probe.Succeeded(OperationReceive)
	res := kit.Resource("pool")
	res.Acquire()
	res.Signal(ResourceRelease, 4)
	q := kit.Queue("sub.1")
	q.Enqueue()
	q.Overflow()
	c.Await()

	assert.Equal(t, []emission[Signal]{
		{"store.users", Signal{Call, Release}},
		{"store.users", Signal{Success, Release}},
		{"store.users", Signal{Fail, Receipt}},
		{"store.users", Signal{Expire, Receipt}},
	}, *services)
	assert.Equal(t, []emission[Status]{{"store.users", Status{Degraded, Measured}}}, *monitors)
	assert.Equal(t, []emission[Situation]{{"db", Warning}}, *reporters)
	assert.Equal(t, []emission[Observation]{
		{"backend.redis", Observation{OperationConnect, OutcomeFail, Release}},
		{"backend.redis", Observation{OperationReceive, OutcomeSucceed, Receipt}},
	}, *probes)
	assert.Equal(t, []emission[ResourceSignal]{
		{"pool", ResourceSignal{ResourceAcquire, 1}},
		{"pool", ResourceSignal{ResourceRelease, 4}},
	}, *resources)
	assert.Equal(t, []emission[QueueSignal]{
		{"sub.1", QueueSignal{QueueEnqueue, 1}},
		{"sub.1", QueueSignal{QueueOverflow, 1}},
	}, *queues)
}

// Every named method emits its own sign, RELEASE in the present tense and
// RECEIPT in the past.
func TestServiceMethods(t *testing.T) {
	kit, c := newKit(t)
	got := listen(kit.Services())
	s := kit.Service("svc")
	release := []func(){s.Start, s.Stop, s.Call, s.Succeed, s.Fail, s.Recourse, s.Redirect, s.Expire,
		s.Retry, s.Reject, s.Discard, s.Delay, s.Schedule, s.Suspend, s.Resume, s.Disconnect}
	receipt := []func(){s.Started, s.Stopped, s.Called, s.Succeeded, s.Failed, s.Recoursed, s.Redirected, s.Expired,
		s.Retried, s.Rejected, s.Discarded, s.Delayed, s.Scheduled, s.Suspended, s.Resumed, s.Disconnected}
	var want []emission[Signal]
	for i, emit := range release {
		emit()
		want = append(want, emission[Signal]{"svc", Signal{Sign(i), Release}})
	}
	for i, emit := range receipt {
		emit()
		want = append(want, emission[Signal]{"svc", Signal{Sign(i), Receipt}})
	}
	c.Await()
	assert.Equal(t, want, *got)
}

func TestResourceAndQueueMethods(t *testing.T) {
	kit, c := newKit(t)
	resources, queues := listen(kit.Resources()), listen(kit.Queues())
	r, q := kit.Resource("r"), kit.Queue("q")
	for _, emit := range []func(){r.Attempt, r.Acquire, r.Grant, r.Deny, r.Timeout, r.Release} {
		emit()
	}
	for _, emit := range []func(){q.Enqueue, q.Dequeue, q.Overflow, q.Underflow} {
		emit()
	}
	c.Await()
	require.Len(t, *resources, 6)
	for i, e := range *resources {
		assert.Equal(t, ResourceSignal{ResourceSign(i), 1}, e.value)
	}
	require.Len(t, *queues, 4)
	for i, e := range *queues {
		assert.Equal(t, QueueSignal{QueueSign(i), 1}, e.value)
	}
}

func TestKitSameInstrumentPerName(t *testing.T) {
	kit, _ := newKit(t)
	assert.Equal(t, kit.Service("a"), kit.Service("a"))
	assert.NotEqual(t, kit.Service("a"), kit.Service("b"))
	assert.Equal(t, kit.Monitor("a"), kit.Monitor("a"))
	assert.Equal(t, kit.Queue("a.b"), kit.Queue("a.b"))
	assert.Equal(t, "a.b", kit.Queue("a.b").Subject().Name().String())
	assert.Equal(t, "channel", kit.Probe("p").Subject().Type())
	assert.Panics(t, func() { kit.Reporter("a..b") })
}

// The zero instruments stand in when nothing is monitored: they emit
// nothing and do not panic.
func TestZeroInstruments(t *testing.T) {
	assert.NotPanics(t, func() {
		Service{}.Fail()
		Monitor{}.Status(Status{Down, Confirmed})
		Reporter{}.Situation(Critical)
		Probe{}.Fail(OperationTransmit)
		Resource{}.Deny()
		Queue{}.Overflow()
	})
	assert.Equal(t, substrates.Subject{}, Service{}.Subject())
	assert.Equal(t, substrates.Subject{}, Queue{}.Subject())
}

// BenchmarkEmitUnobserved emits on an instrument nobody subscribes to: the
// channel's fast path, one atomic load.
func BenchmarkEmitUnobserved(b *testing.B) {
	kit, _ := newKit(b)
	s := kit.Service("svc")
	b.ReportAllocs()
	for b.Loop() {
		s.Fail()
	}
}

// BenchmarkEmitObserved emits on an instrument with one subscriber: the
// cost on the emitting goroutine (queueing the value), the pipe running on
// the circuit's goroutine meanwhile.
func BenchmarkEmitObserved(b *testing.B) {
	kit, c := newKit(b)
	var n int
	kit.Services().Subscribe(func(_ substrates.Subject, r substrates.Registrar[Signal]) {
		r.Register(substrates.PipeFunc[Signal](func(Signal) { n++ }))
	})
	s := kit.Service("svc")
	b.ReportAllocs()
	for b.Loop() {
		s.Fail()
	}
	c.Await()
	b.StopTimer()
	if n != b.N {
		b.Fatalf("pipe saw %d of %d emissions", n, b.N)
	}
}
