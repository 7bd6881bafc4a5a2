// Package intkeys has integer keys of several widths, signed and unsigned,
// some of named types, and a time index.
package intkeys

import "time"

// Seq numbers events.
type Seq int32

// Event is keyed by a signed number.
//
//storegen:store
type Event struct {
	Seq  Seq       `store:"key"`
	At   time.Time `store:"index"`
	Note string
}

// Counter is keyed by an unsigned number.
//
//storegen:store
type Counter struct {
	ID    uint64 `store:"key"`
	Count int64
}

// Reading is keyed by a plain int.
//
//storegen:store
type Reading struct {
	N     int `store:"key"`
	Value float64
}
