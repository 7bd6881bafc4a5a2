// Package compound has stores with compound keys: two fields, and three
// fields of which the last is not a string.
package compound

// Member belongs to an organisation.
//
//storegen:store
type Member struct {
	Org  string `store:"key"`
	ID   string `store:"key"`
	Name string
}

// Seat is a numbered seat of a team.
//
//storegen:store
type Seat struct {
	Org    string `store:"key"`
	Team   string `store:"key"`
	Num    uint16 `store:"key"`
	Holder string `store:"index"`
}
