package serventis

// Condition is the assessed operational condition of a subject. The values
// are in Humainary's order, from recovering through healthy to down.
type Condition uint8

// The conditions of the Monitors vocabulary.
const (
	Converging Condition = iota // recovering: moving back towards normal after trouble
	Stable                      // operating within expected parameters
	Diverging                   // drifting away from normal: latency rising past its baseline
	Erratic                     // unpredictable: latency spread far wider than normal
	Degraded                    // partly operational: elevated errors or slow responses
	Defective                   // unreliable: persistent failures
	Down                        // not operational: (almost) nothing succeeds
)

var conditionNames = []string{"CONVERGING", "STABLE", "DIVERGING", "ERRATIC", "DEGRADED", "DEFECTIVE", "DOWN"}

// String returns the upper-case name, such as "STABLE".
func (c Condition) String() string { return nameOf(conditionNames, "Condition", c) }

// MarshalText returns the name.
func (c Condition) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (c *Condition) UnmarshalText(text []byte) (err error) {
	*c, err = parseName[Condition](conditionNames, "condition", text)
	return err
}

// Confidence is how certain an assessment is.
type Confidence uint8

// The confidences of the Monitors vocabulary, from least to most certain.
const (
	Tentative Confidence = iota // preliminary: little evidence, or a condition just begun
	Measured                    // established on enough evidence
	Confirmed                   // unambiguous: ample evidence over a sustained period
)

var confidenceNames = []string{"TENTATIVE", "MEASURED", "CONFIRMED"}

// String returns the upper-case name, such as "CONFIRMED".
func (c Confidence) String() string { return nameOf(confidenceNames, "Confidence", c) }

// MarshalText returns the name.
func (c Confidence) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (c *Confidence) UnmarshalText(text []byte) (err error) {
	*c, err = parseName[Confidence](confidenceNames, "confidence", text)
	return err
}

// Status is what a Monitor emits: a Condition and the Confidence in it. In
// JSON it is an object of names, {"condition":"STABLE","confidence":"CONFIRMED"}.
type Status struct {
	Condition  Condition  `json:"condition"`
	Confidence Confidence `json:"confidence"`
}

// String returns the condition and the confidence, as in "STABLE/CONFIRMED".
func (s Status) String() string { return s.Condition.String() + "/" + s.Confidence.String() }

// Monitor is the instrument of one monitored subject, a named Channel of the
// Monitors conduit. Like every instrument it is a small value; the zero
// Monitor emits nothing.
type Monitor struct{ instrument[Status] }

// Status emits s. It neither allocates nor waits.
func (m Monitor) Status(s Status) { m.emit(s) }
