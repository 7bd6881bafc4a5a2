package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRun runs the example against a fresh Pebble directory and checks the
// lines that show each feature, in the order they must appear.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, t.TempDir()))
	got := out.String()

	want := []string{
		"put 2 customers and 3 products",
		// One transaction: three events with consecutive seqs and one tx
		// id. Seq numbers published changes only, and nobody watches
		// customers or products.
		"  event: Created order c1/1  seq=1 tx=4",
		"  event: Created order c1/2  seq=2 tx=4",
		"  event: Created order c2/1  seq=3 tx=4",
		"committed tx 4: 3 orders, their events share its tx id",
		"second customer with ann@example.com rejected: ErrConflict",
		"GetByEmail(bob@example.com): c2, Bob Diaz, standard tier",
		"  event: Updated order c1/1  seq=4 tx=6",
		"order c1/1 is paid",
		"== ListByStatus(pending), in PlacedAt order",
		"c1/2 placed 09:11  €45.00",
		"c2/1 placed 09:12  €12.50",
		"== ScanByCustomerID(c1), in key order",
		"c1/1 paid    2 items  €60.96",
		"c1/2 pending 1 items  €45.00",
		"  event: Deleted order c2/1  seq=5 tx=7",
		"deleted c2/1: existed=true",
		"Get(c2, 1): ErrNotFound",
		"PasswordHash: [redacted]",
		"stored: 2 customers, 3 products, 2 orders; last seq 5",
		"order watch: 5 published, 5 delivered, 0 dropped",
	}
	rest := got
	for _, line := range want {
		i := strings.Index(rest, line)
		require.GreaterOrEqual(t, i, 0, "missing, or out of order: %q\n--- output:\n%s", line, got)
		rest = rest[i+len(line):]
	}
	require.NotContains(t, got, "$2a$10$", "a password hash was printed")
	require.NotContains(t, got, "c1/1 pending", "ListByStatus(pending) returned a paid order")
}
