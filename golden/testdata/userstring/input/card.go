// Package userstring has a sensitive field and a String method written by
// the user, which storegen leaves alone.
package userstring

// Card is a payment card.
//
//storegen:store
type Card struct {
	ID     string `store:"key"`
	Number string `store:"sensitive"`
}

// String shows the last digits only.
func (c *Card) String() string {
	if len(c.Number) < 4 {
		return "Card(" + c.ID + ")"
	}
	return "Card(" + c.ID + ", …" + c.Number[len(c.Number)-4:] + ")"
}
