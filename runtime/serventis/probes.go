package serventis

// Operation is the communication activity a Probe observed.
type Operation uint8

// The operations of the Probes vocabulary.
const (
	OperationConnect    Operation = iota // establishing a connection or session
	OperationDisconnect                  // closing a connection
	OperationTransmit                    // sending data
	OperationReceive                     // receiving data
	OperationProcess                     // handling data once received
)

var operationNames = []string{"CONNECT", "DISCONNECT", "TRANSMIT", "RECEIVE", "PROCESS"}

// String returns the upper-case name, such as "TRANSMIT".
func (o Operation) String() string { return nameOf(operationNames, "Operation", o) }

// MarshalText returns the name.
func (o Operation) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (o *Operation) UnmarshalText(text []byte) (err error) {
	*o, err = parseName[Operation](operationNames, "operation", text)
	return err
}

// Outcome is how an observed operation ended.
type Outcome uint8

// The outcomes of the Probes vocabulary.
const (
	OutcomeSucceed Outcome = iota // the operation completed as expected
	OutcomeFail                   // the operation failed
)

var outcomeNames = []string{"SUCCEED", "FAIL"}

// String returns "SUCCEED" or "FAIL".
func (o Outcome) String() string { return nameOf(outcomeNames, "Outcome", o) }

// MarshalText returns the name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (o *Outcome) UnmarshalText(text []byte) (err error) {
	*o, err = parseName[Outcome](outcomeNames, "outcome", text)
	return err
}

// Observation is what a Probe emits: an operation, its outcome, and whether
// the probe's own side performed it (RELEASE) or saw the other side's
// (RECEIPT).
type Observation struct {
	Operation   Operation   `json:"operation"`
	Outcome     Outcome     `json:"outcome"`
	Orientation Orientation `json:"orientation"`
}

// String returns the three names, as in "CONNECT/FAIL/RELEASE".
func (o Observation) String() string {
	return o.Operation.String() + "/" + o.Outcome.String() + "/" + o.Orientation.String()
}

// Probe is the instrument of one communication endpoint, such as a remote
// backend's connection, a named Channel of the Probes conduit. Like every
// instrument it is a small value; the zero Probe emits nothing.
type Probe struct{ instrument[Observation] }

// Observe emits the observation of op with outcome in orientation.
func (p Probe) Observe(op Operation, outcome Outcome, orientation Orientation) {
	p.emit(Observation{op, outcome, orientation})
}

// Succeed emits that this side performed op successfully.
func (p Probe) Succeed(op Operation) { p.Observe(op, OutcomeSucceed, Release) }

// Fail emits that this side failed to perform op.
func (p Probe) Fail(op Operation) { p.Observe(op, OutcomeFail, Release) }

// Succeeded emits that the other side performed op successfully.
func (p Probe) Succeeded(op Operation) { p.Observe(op, OutcomeSucceed, Receipt) }

// Failed emits that the other side failed to perform op.
func (p Probe) Failed(op Operation) { p.Observe(op, OutcomeFail, Receipt) }
