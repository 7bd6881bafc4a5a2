package model

import "time"

// Product is something the shop sells. Barcode is unique, so the store
// has GetByBarcode.
//
//storegen:store
type Product struct {
	SKU        string `store:"key"`
	Barcode    string `store:"unique"`
	Name       string
	PriceCents int64
	Attributes map[string]string
	// Subtitle is optional: nil means the product has none.
	Subtitle *string
	// LeadTime is how long the product takes to ship.
	LeadTime time.Duration
}
