package model

import "time"

// OrderStatus is where an order is in its life.
type OrderStatus string

// Order statuses.
const (
	StatusPending OrderStatus = "pending"
	StatusPaid    OrderStatus = "paid"
	StatusShipped OrderStatus = "shipped"
)

// Order is a customer's purchase. Its key is compound, (CustomerID,
// OrderID), so a customer's orders are stored together and
// ScanByCustomerID reads them in one range. Status and PlacedAt form the
// composite index status_placed_at: ListByStatusPlacedAt looks up both,
// ListByStatus the leading one, in order of PlacedAt.
//
//storegen:store
type Order struct {
	CustomerID string      `store:"key"`
	OrderID    uint32      `store:"key"`
	Status     OrderStatus `store:"index=status_placed_at"`
	PlacedAt   time.Time   `store:"index=status_placed_at"`
	Items      []LineItem
	TotalCents int64 // money as integer cents, never floats
}

// LineItem is one product line of an order, with the price it was sold at.
type LineItem struct {
	SKU       string
	Quantity  int
	UnitCents int64
}
