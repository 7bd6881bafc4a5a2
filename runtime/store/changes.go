package store

import "time"

// A transaction records the changes it makes to watched stores and
// publishes them after it commits (DB.Update), in the order it made them.
// Logs and their event slices are reused through the DB's pool of txState,
// so recording allocates nothing in steady state.

// changeLog holds one store's changes within one transaction.
type changeLog interface {
	table() any
	// publish stamps changes [i, j) with Seqs from seq+1 on and emits
	// them on the store's channel, in one batch. It returns the last Seq.
	publish(i, j int, seq, txID uint64, now time.Time) uint64
	reset()
}

// changeRef orders changes across the stores a transaction touched.
type changeRef struct {
	log changeLog
	i   int
}

// tableLog is also the transaction's scratch space for one store: records
// being written and replaced live here rather than in fresh allocations
// (the codec and index functions take pointers, which would make a local
// escape).
type tableLog[K, V any] struct {
	t        *Table[K, V]
	events   []Event[K, V]
	cur, old V
}

func (l *tableLog[K, V]) table() any { return l.t }

func (l *tableLog[K, V]) publish(i, j int, seq, txID uint64, now time.Time) uint64 {
	es := l.events[i:j]
	for k := range es {
		seq++
		es[k].Seq, es[k].TxID, es[k].Time = seq, txID, now
	}
	if i == 0 && j == len(l.events) {
		// The usual case, all of the transaction's changes to the store in
		// one run: the circuit takes the slice itself, and the log goes on
		// with an empty one it gave back.
		l.events = l.t.events.Hand(es)
	} else {
		l.t.events.EmitAll(es)
	}
	return seq
}

func (l *tableLog[K, V]) reset() {
	clear(l.events) // drop references to records for the GC
	l.events = l.events[:0]
	var zero V
	l.cur, l.old = zero, zero
}

// logOf returns tx's log of t, making it on first use.
func logOf[K, V any](tx *Tx, t *Table[K, V]) *tableLog[K, V] {
	st := tx.st
	for _, l := range st.logs {
		if l.table() == any(t) {
			return l.(*tableLog[K, V])
		}
	}
	log := &tableLog[K, V]{t: t}
	st.logs = append(st.logs, log)
	return log
}

// record appends a change of t to tx's log.
func record[K, V any](tx *Tx, log *tableLog[K, V], kind EventKind, k K, old, new *V) {
	st := tx.st
	// Filled in place: records are copied once, into the log.
	log.events = append(log.events, Event[K, V]{Kind: kind, Key: k})
	i := len(log.events) - 1
	e := &log.events[i]
	if old != nil {
		e.Old = *old
	}
	if new != nil {
		e.New = *new
	}
	st.order = append(st.order, changeRef{log: log, i: i})
}

// txState is the reusable part of a transaction.
type txState struct {
	buf    scratch
	writes int // records written or deleted
	logs   []changeLog
	order  []changeRef
}

func (st *txState) reset() {
	for _, l := range st.logs {
		l.reset()
	}
	clear(st.order)
	st.order = st.order[:0]
	st.writes = 0
}
