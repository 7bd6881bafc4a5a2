// Package simple is a store with a single string key, a unique index, a
// plain index and a sensitive field.
package simple

import "time"

// User is an account.
//
//storegen:store
type User struct {
	ID       string `store:"key"`
	Email    string `store:"unique"`
	Team     string `store:"index"`
	Password string `store:"sensitive"`
	Created  time.Time
	Tags     []string
	Scratch  string `store:"-"`
}
