package store

import (
	"strconv"
	"time"
)

// EventKind says what a change did to a record.
type EventKind uint8

// Event kinds.
const (
	// Created: the key had no record before the transaction.
	Created EventKind = iota + 1
	// Updated: an existing record was replaced; Old holds what it was.
	Updated
	// Deleted: the record was removed; Old holds what it was.
	Deleted
)

func (k EventKind) String() string {
	switch k {
	case Created:
		return "Created"
	case Updated:
		return "Updated"
	case Deleted:
		return "Deleted"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one committed change to a record of type V with key K.
//
// Events are published only after their transaction commits, all of a
// transaction's events together, in the order the transaction made them,
// and none for a transaction that rolled back. Seq increases strictly in
// commit order across the whole DB, so replaying a store's events in Seq
// order onto an empty map reproduces the store.
type Event[K, V any] struct {
	Kind EventKind
	Key  K
	// Old is the record before the change (zero for Created).
	Old V
	// New is the record after the change (zero for Deleted).
	New V
	// Seq is the DB-wide sequence number of the change, from 1.
	Seq uint64
	// TxID identifies the transaction; a transaction's events share it.
	TxID uint64
	// Time is when the transaction committed, by the DB's clock.
	Time time.Time
}
