// Command quickstart is storegen's tour: the generated stores of a small
// shop (package model) on an embedded Pebble database in a temporary
// directory. It watches orders, stores customers and products, places
// orders in one transaction, and shows unique indexes, lookups, range
// scans, deletes and redaction. Run it with make demo.
//
// With STOREGEN_LISTEN set (":8080"), it then serves the DB's monitoring
// (runtime/metrics: /metrics, /status, /events) at that address, to
// requests bearing STOREGEN_TOKEN, until interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/synapsed/storegen/examples/quickstart/model"
	"github.com/synapsed/storegen/runtime/backend/pebble"
	"github.com/synapsed/storegen/runtime/metrics"
	"github.com/synapsed/storegen/runtime/store"
)

func main() {
	dir, err := os.MkdirTemp("", "storegen-quickstart-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	if addr := os.Getenv("STOREGEN_LISTEN"); addr != "" {
		serve = func(db *store.DB) error { return serveMetrics(db, addr, os.Getenv("STOREGEN_TOKEN")) }
	}
	err = run(context.Background(), os.Stdout, dir)
	if rmErr := os.RemoveAll(dir); err == nil {
		err = rmErr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// serve, when set, is called with the DB once the tour is done, before it
// is closed; main sets it when STOREGEN_LISTEN is.
var serve func(*store.DB) error

// serveMetrics serves metrics.Handler(db) at addr until the process is
// interrupted.
func serveMetrics(db *store.DB, addr, token string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           metrics.Handler(db, metrics.HandlerOptions{BearerToken: token}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	url := "http://" + net.JoinHostPort(host, port)
	fmt.Printf("\nserving %s/metrics, %s/status and %s/events?store=order; Ctrl-C to stop\n", url, url, url)
	if token == "" {
		fmt.Println("STOREGEN_TOKEN is not set: every request will be refused")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return srv.Close() // /events streams never end by themselves: cut them
}

// day is when the example's records were created; fixed, so that the
// output is the same on every run.
var day = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// run is the whole example, with its output and database directory given
// so that a test can run it.
func run(ctx context.Context, w io.Writer, dir string) error {
	path := filepath.Join(dir, "shop")
	b, err := pebble.Open(path)
	if err != nil {
		return err
	}
	db, err := store.Open(b, store.WithName("shop"))
	if err != nil {
		b.Close()
		return err
	}
	defer db.Close() // a no-op returning ErrClosed after the Close below
	fmt.Fprintf(w, "opened Pebble store in %s\n", path)

	customers := model.NewCustomerStore(db)
	products := model.NewProductStore(db)
	orders := model.NewOrderStore(db)

	// Watch orders. Events arrive on a channel after each commit; the
	// watcher prints them and tells run, so that the output keeps its order.
	sub := orders.Watch(ctx, store.Buffer(64))
	printed := make(chan struct{}, 64)
	watcherDone := make(chan struct{})
	delivered := 0 // read once watcherDone is closed
	go func() {
		defer close(watcherDone)
		for e := range sub.C() {
			fmt.Fprintf(w, "  event: %-7s order %s/%d  seq=%d tx=%d\n", e.Kind, e.Key.CustomerID, e.Key.OrderID, e.Seq, e.TxID)
			delivered++
			printed <- struct{}{}
		}
	}()
	defer func() { sub.Close(); <-watcherDone }() // on early returns too
	// await waits until the watcher printed n more events.
	await := func(n int) error {
		for range n {
			select {
			case <-printed:
			case <-time.After(5 * time.Second):
				return errors.New("watch: timed out waiting for order events")
			}
		}
		return nil
	}

	fmt.Fprintln(w, "\n== customers and products")
	ann := model.Customer{
		ID: "c1", Email: "ann@example.com", Name: "Ann Lee", Tier: model.TierGold,
		PasswordHash: []byte("$2a$10$N9qo8uLOickgx2ZMRZoMye"), Created: day,
		Tags:    []string{"newsletter", "wholesale"},
		Address: model.Address{Street: "1 Harbour St", City: "Bristol", Postcode: "BS1 4RN", Country: "GB"},
	}
	bob := model.Customer{
		ID: "c2", Email: "bob@example.com", Name: "Bob Diaz", Tier: model.TierStandard,
		PasswordHash: []byte("$2a$10$7EqJtq98hPqEX7fNZaFWoO"), Created: day.Add(time.Hour),
		Address: model.Address{Street: "9 Calle Mayor", City: "Madrid", Postcode: "28013", Country: "ES"},
	}
	for _, c := range []model.Customer{ann, bob} {
		if err := customers.Put(ctx, c); err != nil {
			return err
		}
	}
	subtitle := "250 g, whole bean"
	catalogue := []model.Product{
		{SKU: "BEAN-250", Barcode: "5012345678900", Name: "Espresso beans", PriceCents: 1250, Subtitle: &subtitle,
			Attributes: map[string]string{"origin": "Brazil", "roast": "dark"}, LeadTime: 24 * time.Hour},
		{SKU: "CUP-01", Barcode: "5012345678917", Name: "Cappuccino cup", PriceCents: 899,
			Attributes: map[string]string{"colour": "white"}, LeadTime: 72 * time.Hour},
		{SKU: "GRIND-1", Barcode: "5012345678924", Name: "Hand grinder", PriceCents: 4500, LeadTime: 5 * 24 * time.Hour},
	}
	if err := products.PutAll(ctx, catalogue); err != nil {
		return err
	}
	fmt.Fprintf(w, "put %d customers and %d products\n", 2, len(catalogue))

	fmt.Fprintln(w, "\n== placing orders in one transaction")
	type line struct {
		sku string
		qty int
	}
	placements := []struct {
		customer string
		id       uint32
		lines    []line
	}{
		{"c1", 1, []line{{"BEAN-250", 2}, {"CUP-01", 4}}},
		{"c1", 2, []line{{"GRIND-1", 1}}},
		{"c2", 1, []line{{"BEAN-250", 1}}},
	}
	var txID uint64
	err = db.Update(ctx, func(tx *store.Tx) error {
		txID = tx.ID()
		inProducts, inOrders := products.In(tx), orders.In(tx)
		for i, p := range placements {
			o := model.Order{CustomerID: p.customer, OrderID: p.id, Status: model.StatusPending, PlacedAt: day.Add(time.Duration(10+i) * time.Minute)}
			for _, l := range p.lines {
				prod, err := inProducts.Get(l.sku) // priced at the moment of the order
				if err != nil {
					return err
				}
				o.Items = append(o.Items, model.LineItem{SKU: l.sku, Quantity: l.qty, UnitCents: prod.PriceCents})
				o.TotalCents += int64(l.qty) * prod.PriceCents
			}
			if err := inOrders.Insert(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := await(len(placements)); err != nil {
		return err
	}
	fmt.Fprintf(w, "committed tx %d: %d orders, their events share its tx id\n", txID, len(placements))

	fmt.Fprintln(w, "\n== unique index")
	err = customers.Insert(ctx, model.Customer{ID: "c3", Email: ann.Email, Name: "Impostor"})
	switch {
	case errors.Is(err, store.ErrConflict):
		fmt.Fprintf(w, "second customer with %s rejected: ErrConflict\n", ann.Email)
	case err != nil:
		return err
	default:
		return errors.New("a second customer with the same email was accepted")
	}
	c, err := customers.GetByEmail(ctx, "bob@example.com")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "GetByEmail(bob@example.com): %s, %s, %s tier\n", c.ID, c.Name, c.Tier)

	fmt.Fprintln(w, "\n== updating an order")
	o, err := orders.Get(ctx, "c1", 1)
	if err != nil {
		return err
	}
	o.Status = model.StatusPaid
	if err := orders.Put(ctx, o); err != nil {
		return err
	}
	if err := await(1); err != nil {
		return err
	}
	fmt.Fprintf(w, "order c1/1 is %s\n", o.Status)

	fmt.Fprintln(w, "\n== ListByStatus(pending), in PlacedAt order")
	for o, err := range orders.ListByStatus(ctx, model.StatusPending) {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s/%d placed %s  %s\n", o.CustomerID, o.OrderID, o.PlacedAt.Format("15:04"), euros(o.TotalCents))
	}

	fmt.Fprintln(w, "\n== ScanByCustomerID(c1), in key order")
	for o, err := range orders.ScanByCustomerID(ctx, "c1") {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s/%d %-7s %d items  %s\n", o.CustomerID, o.OrderID, o.Status, len(o.Items), euros(o.TotalCents))
	}

	fmt.Fprintln(w, "\n== deleting an order")
	existed, err := orders.Delete(ctx, "c2", 1)
	if err != nil {
		return err
	}
	if err := await(1); err != nil {
		return err
	}
	fmt.Fprintf(w, "deleted c2/1: existed=%t\n", existed)
	if _, err := orders.Get(ctx, "c2", 1); errors.Is(err, store.ErrNotFound) {
		fmt.Fprintln(w, "Get(c2, 1): ErrNotFound")
	}

	fmt.Fprintln(w, "\n== printing a customer (sensitive fields are redacted)")
	fmt.Fprintf(w, "%v\n", ann)

	fmt.Fprintln(w, "\n== summary")
	counts := make([]int, 3)
	for i, n := range []func() (int, error){
		func() (int, error) { return count(customers.Scan(ctx)) },
		func() (int, error) { return count(products.Scan(ctx)) },
		func() (int, error) { return count(orders.Scan(ctx)) },
	} {
		if counts[i], err = n(); err != nil {
			return err
		}
	}
	sub.Close()
	<-watcherDone
	fmt.Fprintf(w, "stored: %d customers, %d products, %d orders; last seq %d\n", counts[0], counts[1], counts[2], db.LastSeq())
	fmt.Fprintf(w, "order watch: %d published, %d delivered, %d dropped\n", sub.Published(), delivered, sub.Dropped())
	if serve != nil {
		if err := serve(db); err != nil {
			return err
		}
	}
	return db.Close()
}

// count drains a scan and returns how many records it yielded.
func count[V any](seq iter.Seq2[V, error]) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// euros formats an amount of cents.
func euros(cents int64) string { return fmt.Sprintf("€%d.%02d", cents/100, cents%100) }
