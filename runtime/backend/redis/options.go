package redis

import "time"

// Defaults of the options below.
const (
	// DefaultMaxAttempts is how many times Update runs a transaction that
	// keeps losing races with other writers before it gives up.
	DefaultMaxAttempts = 10
	// DefaultUndoRetention is how long the previous values a commit
	// replaced are kept for views opened before it.
	DefaultUndoRetention = time.Minute
)

// The backoff between attempts of Update: the first wait is about
// minBackoff, each later one twice the one before, up to maxBackoff; every
// wait is drawn at random from the upper half of its step, so writers that
// collided spread out.
const (
	minBackoff = time.Millisecond
	maxBackoff = 50 * time.Millisecond
)

// Option changes how Open opens a Backend.
type Option func(*config)

type config struct {
	prefix      string
	maxAttempts int
	retention   time.Duration
	onRoundTrip func(time.Duration, error)
}

// Prefix puts every Redis key the Backend uses under prefix, so that
// several Backends (or other applications) can share one Redis database.
// Backends opened with the same prefix see the same data. The default is
// no prefix: the keys then start with "storegen:".
func Prefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// MaxAttempts sets how many times Update runs its function when the commit
// keeps losing races with writers on other Backends (DefaultMaxAttempts
// unless set). With 1, the first lost race returns an error wrapping
// backend.ErrConflict and retrying is left to the caller. Values below 1
// count as 1.
func MaxAttempts(n int) Option {
	return func(c *config) { c.maxAttempts = max(n, 1) }
}

// UndoRetention sets how long a commit keeps the values it replaced
// (DefaultUndoRetention unless set). A view needs them to go on reading the
// state it was opened on once later commits changed it, so a view can read
// for at least this long after the first commit that followed its opening;
// after that its reads fail with an error wrapping backend.ErrConflict. The
// retained values take memory on the server in proportion to what is
// written within the period. Values below a millisecond count as one.
func UndoRetention(d time.Duration) Option {
	return func(c *config) { c.retention = max(d, time.Millisecond) }
}

// OnRoundTrip calls fn after every exchange the engine has with the server
// (a command, a script or a pipeline) with its duration and error; a
// missing key is not an error. The client's own handshakes are not
// reported. fn runs on the goroutine that made the call and must be fast.
// It is the place for monitoring to attach; without it no time is taken.
func OnRoundTrip(fn func(d time.Duration, err error)) Option {
	return func(c *config) { c.onRoundTrip = fn }
}
