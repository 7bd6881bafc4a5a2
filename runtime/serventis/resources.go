package serventis

// ResourceSign is the kind of interaction with a shared resource, such as a
// connection pool or a write lock.
type ResourceSign uint8

// The signs of the Resources vocabulary.
const (
	ResourceAttempt ResourceSign = iota // a request for units that does not wait
	ResourceAcquire                     // a request for units that waits
	ResourceGrant                       // a request was granted
	ResourceDeny                        // a request was denied, as for lack of capacity
	ResourceTimeout                     // a request timed out
	ResourceRelease                     // granted units were given back
)

var resourceSignNames = []string{"ATTEMPT", "ACQUIRE", "GRANT", "DENY", "TIMEOUT", "RELEASE"}

// String returns the upper-case name, such as "GRANT".
func (s ResourceSign) String() string { return nameOf(resourceSignNames, "ResourceSign", s) }

// MarshalText returns the name.
func (s ResourceSign) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (s *ResourceSign) UnmarshalText(text []byte) (err error) {
	*s, err = parseName[ResourceSign](resourceSignNames, "resource sign", text)
	return err
}

// ResourceSignal is what a Resource emits: a sign and the number of units
// involved.
type ResourceSignal struct {
	Sign  ResourceSign `json:"sign"`
	Units uint64       `json:"units"`
}

// Resource is the instrument of one shared resource, a named Channel of the
// Resources conduit. Like every instrument it is a small value; the zero
// Resource emits nothing.
type Resource struct{ instrument[ResourceSignal] }

// Signal emits sign for units units.
func (r Resource) Signal(sign ResourceSign, units uint64) { r.emit(ResourceSignal{sign, units}) }

// Attempt emits ATTEMPT for one unit.
func (r Resource) Attempt() { r.Signal(ResourceAttempt, 1) }

// Acquire emits ACQUIRE for one unit.
func (r Resource) Acquire() { r.Signal(ResourceAcquire, 1) }

// Grant emits GRANT for one unit.
func (r Resource) Grant() { r.Signal(ResourceGrant, 1) }

// Deny emits DENY for one unit.
func (r Resource) Deny() { r.Signal(ResourceDeny, 1) }

// Timeout emits TIMEOUT for one unit.
func (r Resource) Timeout() { r.Signal(ResourceTimeout, 1) }

// Release emits RELEASE for one unit.
func (r Resource) Release() { r.Signal(ResourceRelease, 1) }
