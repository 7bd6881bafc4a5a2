package serventis

// Sign is what a service interaction was: its start or stop, a call, an
// outcome, or how a request was handled.
type Sign uint8

// The signs of the Services vocabulary.
const (
	Start      Sign = iota // a service execution began
	Stop                   // a service execution ended, whatever its outcome
	Call                   // a request was made to a service
	Success                // an execution or call completed as expected
	Fail                   // an execution or call ended in error
	Recourse               // a degraded mode took over after a failure (a cache, a fallback)
	Redirect               // a request was forwarded elsewhere
	Expire                 // an execution or call ran out of its time budget
	Retry                  // a failed call is being tried again
	Reject                 // a request was declined (policy, capacity)
	Discard                // a request was dropped without processing
	Delay                  // processing was postponed
	Schedule               // a request was queued for later execution
	Suspend                // an execution was paused
	Resume                 // a paused execution continued
	Disconnect             // the service could not be reached
)

var signNames = []string{
	"START", "STOP", "CALL", "SUCCESS", "FAIL", "RECOURSE", "REDIRECT", "EXPIRE",
	"RETRY", "REJECT", "DISCARD", "DELAY", "SCHEDULE", "SUSPEND", "RESUME", "DISCONNECT",
}

// String returns the upper-case name, such as "CALL".
func (s Sign) String() string { return nameOf(signNames, "Sign", s) }

// MarshalText returns the name.
func (s Sign) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (s *Sign) UnmarshalText(text []byte) (err error) {
	*s, err = parseName[Sign](signNames, "sign", text)
	return err
}

// Orientation is whose act a signal records: RELEASE, the service's own act
// in the present, or RECEIPT, an act of another party that the service
// perceived, after the fact.
type Orientation uint8

// The orientations of a signal.
const (
	Release Orientation = iota // the subject itself acts
	Receipt                    // the subject observed another's act
)

var orientationNames = []string{"RELEASE", "RECEIPT"}

// String returns "RELEASE" or "RECEIPT".
func (o Orientation) String() string { return nameOf(orientationNames, "Orientation", o) }

// MarshalText returns the name.
func (o Orientation) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (o *Orientation) UnmarshalText(text []byte) (err error) {
	*o, err = parseName[Orientation](orientationNames, "orientation", text)
	return err
}

// Signal is what a Service emits: a Sign and the Orientation it was
// recorded in, 16×2 values in all.
type Signal struct {
	Sign        Sign        `json:"sign"`
	Orientation Orientation `json:"orientation"`
}

// String returns the sign and the orientation, as in "FAIL/RECEIPT".
func (s Signal) String() string { return s.Sign.String() + "/" + s.Orientation.String() }

// Service is the instrument of one service, a named Channel of the Services
// conduit. It is a small value: copies emit on the same channel, and two
// calls to Kit.Service with one name return equal Services. The zero
// Service emits nothing, so a program without monitoring can hold one.
//
// The methods named for a sign emit it as RELEASE (the service acts); those
// in the past tense emit it as RECEIPT (the service perceived another's
// act). None of them allocates or waits.
type Service struct{ instrument[Signal] }

// Signal emits the signal of sign and orientation.
func (s Service) Signal(sign Sign, orientation Orientation) { s.emit(Signal{sign, orientation}) }

// Start emits START: the service began an execution.
func (s Service) Start() { s.Signal(Start, Release) }

// Stop emits STOP: the service ended an execution.
func (s Service) Stop() { s.Signal(Stop, Release) }

// Call emits CALL: the service made a request.
func (s Service) Call() { s.Signal(Call, Release) }

// Succeed emits SUCCESS: the service's execution or call succeeded.
func (s Service) Succeed() { s.Signal(Success, Release) }

// Fail emits FAIL: the service's execution or call failed.
func (s Service) Fail() { s.Signal(Fail, Release) }

// Recourse emits RECOURSE: the service fell back to a degraded mode.
func (s Service) Recourse() { s.Signal(Recourse, Release) }

// Redirect emits REDIRECT: the service forwarded a request.
func (s Service) Redirect() { s.Signal(Redirect, Release) }

// Expire emits EXPIRE: the service ran out of time.
func (s Service) Expire() { s.Signal(Expire, Release) }

// Retry emits RETRY: the service tries a failed call again.
func (s Service) Retry() { s.Signal(Retry, Release) }

// Reject emits REJECT: the service declined a request.
func (s Service) Reject() { s.Signal(Reject, Release) }

// Discard emits DISCARD: the service dropped a request unprocessed.
func (s Service) Discard() { s.Signal(Discard, Release) }

// Delay emits DELAY: the service postponed processing.
func (s Service) Delay() { s.Signal(Delay, Release) }

// Schedule emits SCHEDULE: the service queued a request for later.
func (s Service) Schedule() { s.Signal(Schedule, Release) }

// Suspend emits SUSPEND: the service paused an execution.
func (s Service) Suspend() { s.Signal(Suspend, Release) }

// Resume emits RESUME: the service continued a paused execution.
func (s Service) Resume() { s.Signal(Resume, Release) }

// Disconnect emits DISCONNECT: the service lost its connection.
func (s Service) Disconnect() { s.Signal(Disconnect, Release) }

// Started emits START as RECEIPT: another party's execution began.
func (s Service) Started() { s.Signal(Start, Receipt) }

// Stopped emits STOP as RECEIPT: another party's execution ended.
func (s Service) Stopped() { s.Signal(Stop, Receipt) }

// Called emits CALL as RECEIPT: the service was called.
func (s Service) Called() { s.Signal(Call, Receipt) }

// Succeeded emits SUCCESS as RECEIPT: a call the service made succeeded.
func (s Service) Succeeded() { s.Signal(Success, Receipt) }

// Failed emits FAIL as RECEIPT: a call the service made failed.
func (s Service) Failed() { s.Signal(Fail, Receipt) }

// Recoursed emits RECOURSE as RECEIPT: the other party fell back.
func (s Service) Recoursed() { s.Signal(Recourse, Receipt) }

// Redirected emits REDIRECT as RECEIPT: the other party forwarded the request.
func (s Service) Redirected() { s.Signal(Redirect, Receipt) }

// Expired emits EXPIRE as RECEIPT: the other party ran out of time.
func (s Service) Expired() { s.Signal(Expire, Receipt) }

// Retried emits RETRY as RECEIPT: the other party retried.
func (s Service) Retried() { s.Signal(Retry, Receipt) }

// Rejected emits REJECT as RECEIPT: the other party declined the request.
func (s Service) Rejected() { s.Signal(Reject, Receipt) }

// Discarded emits DISCARD as RECEIPT: the other party dropped the request.
func (s Service) Discarded() { s.Signal(Discard, Receipt) }

// Delayed emits DELAY as RECEIPT: the other party postponed the request.
func (s Service) Delayed() { s.Signal(Delay, Receipt) }

// Scheduled emits SCHEDULE as RECEIPT: the other party queued the request.
func (s Service) Scheduled() { s.Signal(Schedule, Receipt) }

// Suspended emits SUSPEND as RECEIPT: the other party paused.
func (s Service) Suspended() { s.Signal(Suspend, Receipt) }

// Resumed emits RESUME as RECEIPT: the other party continued.
func (s Service) Resumed() { s.Signal(Resume, Receipt) }

// Disconnected emits DISCONNECT as RECEIPT: the other party could not be
// reached.
func (s Service) Disconnected() { s.Signal(Disconnect, Receipt) }
