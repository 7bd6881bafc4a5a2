// Package composite has composite indexes, unique and plain, with lookups
// by their leading fields.
package composite

// Booking reserves a room for a day.
//
//storegen:store
type Booking struct {
	ID    string `store:"key"`
	Room  string `store:"index,unique=slot"`
	Day   int32  `store:"unique=slot,index=day_owner"`
	Owner string `store:"index=day_owner,index=OwnerKind"`
	Kind  string `store:"index=OwnerKind"`
}
