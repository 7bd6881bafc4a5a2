// Package evolution checks that stored values survive schema changes: a
// value written by AccountV1 (its bytes are committed in testdata) is read
// by later versions of the type. Field ids come from field names, not type
// names, so the three types describe one record as it evolves.
package evolution

// AccountV1 is the first version.
//
//storegen:store
type AccountV1 struct {
	ID      string `store:"key"`
	Name    string
	Balance int32
	Legacy  string
	Tags    []string
	Home    Address
}

// Address is held by every version.
type Address struct {
	City string
	Zip  int
}

// AccountV2 reorders the fields, removes Legacy, adds Email and Opened,
// widens Balance to int64 and turns Name into []byte, whose stored form is
// the same.
//
//storegen:store
type AccountV2 struct {
	Tags    []string
	Email   string
	Balance int64
	Home    Address
	ID      string `store:"key"`
	Name    []byte
	Opened  bool
}

// AccountV3 changes Balance from an integer to a string, which no stored
// value can be read as.
//
//storegen:store
type AccountV3 struct {
	ID      string `store:"key"`
	Balance string
}
