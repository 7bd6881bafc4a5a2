package substrates

import "strconv"

// Id identifies one substrate (circuit, conduit, channel, ...) of a Cortex;
// no two substrates of a Cortex share one.
type Id uint64

// String returns the Id in decimal.
func (id Id) String() string { return strconv.FormatUint(uint64(id), 10) }

// Subject is the identity of a substrate: its Id, Name, Type and State, and
// the Subject that encloses it (a channel's conduit, a conduit's circuit).
// A Subject is immutable and cheap to copy; two Subjects are == when they
// are the same subject. The zero Subject is no subject.
type Subject struct{ s *subject }

type subject struct {
	id        Id
	name      Name
	typ       string
	state     State
	enclosure *subject
}

// Subject returns a new Subject with a fresh Id, for substrates that callers
// build on top of this package.
func (c *Cortex) Subject(name Name, typ string, state State) Subject {
	return Subject{&subject{id: c.nextID(), name: name, typ: typ, state: state}}
}

// subject returns a new Subject enclosed by enclosure.
func (c *Cortex) subject(name Name, typ string, enclosure Subject) Subject {
	return Subject{&subject{id: c.nextID(), name: name, typ: typ, enclosure: enclosure.s}}
}

// ID returns the subject's Id.
func (s Subject) ID() Id {
	if s.s == nil {
		return 0
	}
	return s.s.id
}

// Name returns the subject's Name.
func (s Subject) Name() Name {
	if s.s == nil {
		return Name{}
	}
	return s.s.name
}

// Type returns what kind of substrate the subject is: "circuit", "conduit",
// "channel", or a caller's own type.
func (s Subject) Type() string {
	if s.s == nil {
		return ""
	}
	return s.s.typ
}

// State returns the subject's State.
func (s Subject) State() State {
	if s.s == nil {
		return State{}
	}
	return s.s.state
}

// Enclosure returns the Subject that encloses s, and false if none does.
func (s Subject) Enclosure() (Subject, bool) {
	if s.s == nil || s.s.enclosure == nil {
		return Subject{}, false
	}
	return Subject{s.s.enclosure}, true
}

// String returns "type name#id", for example "channel users#7".
func (s Subject) String() string {
	if s.s == nil {
		return ""
	}
	return s.s.typ + " " + s.s.name.String() + "#" + s.s.id.String()
}
