package model

import "time"

// Tier is a customer's loyalty level.
type Tier string

// Loyalty levels.
const (
	TierStandard Tier = "standard"
	TierGold     Tier = "gold"
)

// Customer is someone who buys from the shop. Email is unique, so the
// store has GetByEmail; Tier is indexed, so it has ListByTier.
//
//storegen:store
type Customer struct {
	ID           string `store:"key"`
	Email        string `store:"unique"`
	Name         string
	Tier         Tier   `store:"index"`
	PasswordHash []byte `store:"sensitive"` // printed as [redacted]
	Created      time.Time
	Tags         []string
	Address      Address
}

// Address is where a customer's orders go. It is stored inside Customer.
type Address struct {
	Street   string
	City     string
	Postcode string
	Country  string
}
