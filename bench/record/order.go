// Package record holds the record type the benchmarks measure storegen
// with: an order of sixteen fields of the kinds a real program stores
// (strings, numbers, times, slices, a map, a nested struct, a pointer and
// bytes), with one unique and one plain index. Its generated store is
// committed like an example's; the benchmarks beside it compare the
// generated codec and typed reads with encoding/json and with the engines'
// own APIs, and bench/bolthold compares it with bolthold.
package record

import "time"

//go:generate go run github.com/synapsed/storegen/cmd/storegen

// Order is a customer's order. The bolthold tags give bolthold the same
// indexes as storegen's, for bench/bolthold; storegen reads only its own
// tag key.
//
//storegen:store
type Order struct {
	ID       string `store:"key"`
	Email    string `store:"unique" boltholdUnique:"Email"`
	Status   string `store:"index" boltholdIndex:"Status"`
	Customer string
	Note     string
	Total    int64 // cents
	Quantity int32
	Weight   float64
	Paid     bool
	Created  time.Time
	Tags     []string
	Items    []int64
	Attrs    map[string]string
	Ship     Address
	Coupon   *string
	Receipt  []byte
}

// Address is where an order goes.
type Address struct {
	Street  string
	City    string
	Zip     string
	Country string
}
