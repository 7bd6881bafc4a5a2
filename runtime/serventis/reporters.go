package serventis

// Situation is how seriously a subject's state should be taken: the
// judgement a Reporter makes from the conditions monitors assessed.
type Situation uint8

// The situations of the Reporters vocabulary, from least to most urgent.
const (
	Normal   Situation = iota // no concern
	Warning                   // needs attention, not yet critical
	Critical                  // serious: demands prompt intervention
)

var situationNames = []string{"NORMAL", "WARNING", "CRITICAL"}

// String returns the upper-case name, such as "WARNING".
func (s Situation) String() string { return nameOf(situationNames, "Situation", s) }

// MarshalText returns the name.
func (s Situation) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (s *Situation) UnmarshalText(text []byte) (err error) {
	*s, err = parseName[Situation](situationNames, "situation", text)
	return err
}

// SituationOf judges the situation of a whole made of parts with the given
// statuses, such as a DB and its stores and backend: CRITICAL if any part is
// DOWN or DEFECTIVE, WARNING if any is DEGRADED, ERRATIC or DIVERGING,
// NORMAL otherwise (STABLE and CONVERGING parts, or none). Confidence does
// not soften the judgement: a tentative DOWN is still CRITICAL.
func SituationOf(statuses ...Status) Situation {
	worst := Normal
	for _, s := range statuses {
		switch s.Condition {
		case Down, Defective:
			return Critical
		case Degraded, Erratic, Diverging:
			worst = Warning
		}
	}
	return worst
}

// Reporter is the instrument of one reported subject, a named Channel of the
// Reporters conduit. Like every instrument it is a small value; the zero
// Reporter emits nothing.
type Reporter struct{ instrument[Situation] }

// Situation emits s. It neither allocates nor waits.
func (r Reporter) Situation(s Situation) { r.emit(s) }
