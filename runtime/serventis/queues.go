package serventis

// QueueSign is the kind of interaction with a queue, such as a
// subscription's buffer.
type QueueSign uint8

// The signs of the Queues vocabulary.
const (
	QueueEnqueue   QueueSign = iota // items were added
	QueueDequeue                    // items were removed
	QueueOverflow                   // items could not be added for lack of room (and were dropped)
	QueueUnderflow                  // items could not be removed for lack of any
)

var queueSignNames = []string{"ENQUEUE", "DEQUEUE", "OVERFLOW", "UNDERFLOW"}

// String returns the upper-case name, such as "OVERFLOW".
func (s QueueSign) String() string { return nameOf(queueSignNames, "QueueSign", s) }

// MarshalText returns the name.
func (s QueueSign) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a name; an unknown one is an ErrUnknownName.
func (s *QueueSign) UnmarshalText(text []byte) (err error) {
	*s, err = parseName[QueueSign](queueSignNames, "queue sign", text)
	return err
}

// QueueSignal is what a Queue emits: a sign and the number of items
// involved.
type QueueSignal struct {
	Sign  QueueSign `json:"sign"`
	Units uint64    `json:"units"`
}

// Queue is the instrument of one queue, a named Channel of the Queues
// conduit. Like every instrument it is a small value; the zero Queue emits
// nothing.
type Queue struct{ instrument[QueueSignal] }

// Signal emits sign for units items.
func (q Queue) Signal(sign QueueSign, units uint64) { q.emit(QueueSignal{sign, units}) }

// Enqueue emits ENQUEUE for one item.
func (q Queue) Enqueue() { q.Signal(QueueEnqueue, 1) }

// Dequeue emits DEQUEUE for one item.
func (q Queue) Dequeue() { q.Signal(QueueDequeue, 1) }

// Overflow emits OVERFLOW for one item.
func (q Queue) Overflow() { q.Signal(QueueOverflow, 1) }

// Underflow emits UNDERFLOW for one item.
func (q Queue) Underflow() { q.Signal(QueueUnderflow, 1) }
