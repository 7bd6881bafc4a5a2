package record

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Statuses are the values of Order.Status that Sample cycles through, so
// that each holds an equal share of the records.
var Statuses = []string{"new", "paid", "packed", "shipped", "delivered", "returned", "cancelled", "held", "refunded", "disputed"}

// Sample returns the i-th order of the benchmarks' data set: every field
// set, strings of typical length, the time in UTC (as a value read back from
// any store is). Keys and emails are unique per i.
func Sample(i int) Order {
	coupon := fmt.Sprintf("SPRING%02d", i%100)
	return Order{
		ID:       Key(i),
		Email:    fmt.Sprintf("customer%06d@example.com", i),
		Status:   Statuses[i%len(Statuses)],
		Customer: fmt.Sprintf("Customer Number %d", i),
		Note:     "leave the parcel with the neighbour if nobody answers",
		Total:    int64(1999 + i%5000),
		Quantity: int32(1 + i%7),
		Weight:   1.25 + float64(i%10)/4,
		Paid:     i%3 != 0,
		Created:  time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC).Add(time.Duration(i) * time.Minute),
		Tags:     []string{"priority", "gift", "fragile"},
		Items:    []int64{int64(100000 + i), int64(200000 + i), int64(300000 + i), 42},
		Attrs:    map[string]string{"channel": "web", "campaign": "spring-sale"},
		Ship: Address{
			Street:  fmt.Sprintf("%d Long Street", 1+i%300),
			City:    "Springfield",
			Zip:     fmt.Sprintf("%05d", i%100000),
			Country: "US",
		},
		Coupon:  &coupon,
		Receipt: []byte("sig:3f9a1c2e7b5d4f60a8e1c3b5d7f9e2a4"),
	}
}

// Key returns the key of Sample(i).
func Key(i int) string { return fmt.Sprintf("order-%08d", i) }

// ShuffledKeys returns the keys of Sample(0) to Sample(n-1) in an order
// that is random but the same on every call, so that benchmarks that
// compare two stores read both in one order that favours neither's cache.
func ShuffledKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = Key(i)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys
}
