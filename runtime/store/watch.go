package store

import (
	"bytes"
	"context"
	"fmt"
	"reflect"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/substrates"
)

// subscriptionHandle lets the DB end a subscription whatever its type, and
// read a store's subscriptions for its counters.
type subscriptionHandle struct {
	end   func(error)
	store *keyspace  // nil for the DB's operation and transaction streams
	lag   func() int // set with store
}

func (db *DB) track(h *subscriptionHandle) {
	db.mu.Lock()
	db.subs[h] = struct{}{}
	db.mu.Unlock()
}

func (db *DB) untrack(h *subscriptionHandle) {
	db.mu.Lock()
	delete(db.subs, h)
	db.mu.Unlock()
}

// endSubscriptions ends with err the subscriptions that match accepts. They
// are ended outside db.mu, since ending one untracks it.
func (db *DB) endSubscriptions(match func(*subscriptionHandle) bool, err error) {
	db.mu.Lock()
	var ends []func(error)
	for h := range db.subs {
		if match(h) {
			ends = append(ends, h.end)
		}
	}
	db.mu.Unlock()
	for _, end := range ends {
		end(err)
	}
}

// Watch subscribes to the store's committed changes. Cancelling ctx closes
// the subscription. See WatchOption for filters, buffering and overflow.
func (t *Table[K, V]) Watch(ctx context.Context, opts ...WatchOption) *Subscription[Event[K, V]] {
	cfg := watchConfigOf(opts)
	filter, lo, hi, err := t.watchFilter(&cfg)
	sub := newSubscription(&cfg, filter)
	if err != nil {
		sub.end(err)
		return sub
	}
	var view backend.View
	var open func() error
	if cfg.existing && (cfg.kinds == 0 || cfg.kinds&(1<<Created) != 0) {
		open = func() error {
			v, err := t.db.openEventView(ctx)
			if err != nil {
				return err
			}
			view, sub.replay = v, true
			return nil
		}
	}
	seq, ok := attach(t, ctx, sub, sub.offer, open)
	if ok && view != nil {
		sub.replaying.Add(1)
		go t.replay(ctx, sub, view, lo, hi, seq)
	}
	return sub
}

// attach subscribes sub to t's changes through pipe, exactly between two
// commits, after open (if not nil) has run under the same lock; it ends sub
// with ctx and with the DB, and counts its drops as the store's. It
// returns the Seq of the last commit before the subscription, and false if
// sub has ended instead: the DB was closed or open failed.
func attach[K, V, E any](t *Table[K, V], ctx context.Context, sub *Subscription[E], pipe func(Event[K, V]), open func() error) (uint64, bool) {
	if t.ks.mon != nil {
		sub.onDrop = dropHook(&t.ks.dropped, t.ks.queue)
	}
	h := &subscriptionHandle{end: sub.end, store: t.ks, lag: sub.Lag}
	db := t.db
	db.commitMu.Lock()
	if db.closed.Load() {
		db.commitMu.Unlock()
		sub.end(ErrClosed)
		return 0, false
	}
	if open != nil {
		if err := open(); err != nil {
			db.commitMu.Unlock()
			sub.end(err)
			return 0, false
		}
	}
	seq := db.seq
	inner := t.conduit.Subscribe(func(_ substrates.Subject, r substrates.Registrar[Event[K, V]]) {
		r.Register(substrates.DirectFunc[Event[K, V]](pipe))
	})
	db.track(h)
	db.commitMu.Unlock()

	stop := context.AfterFunc(ctx, func() { sub.end(ctx.Err()) })
	sub.setCleanup(func() {
		stop()
		inner.Close()
		db.untrack(h)
	})
	return seq, true
}

// replay delivers the records of view in [lo, hi) as Created events, then
// the live events held back meanwhile.
func (t *Table[K, V]) replay(ctx context.Context, sub *Subscription[Event[K, V]], view backend.View, lo, hi []byte, seq uint64) {
	defer sub.replaying.Done()
	defer t.db.closeView(view)
	it := view.Range(lo, hi, false)
	defer it.Close()
	for it.Next() {
		e := Event[K, V]{Kind: Created, Seq: seq}
		if err := t.decode(it.Value(), &e.New); err != nil {
			go sub.end(&OpError{Store: t.s.Name, Op: "Watch", Key: t.rawKey(it.Key()[len(t.valuePrefix):]), Err: err})
			return
		}
		// [lo, hi) already holds exactly the keys the filters admit, and
		// Watch replays only when Created events are wanted.
		e.Key = t.s.KeyOf(&e.New)
		if !sub.deliver(e) {
			return
		}
	}
	if err := it.Err(); err != nil {
		go sub.end(&OpError{Store: t.s.Name, Op: "Watch", Err: mapBackendErr(err)})
		return
	}
	sub.finishReplay()
}

// watchFilter turns the key and kind options into a filter over events and
// the stored-key range that holds the matching records.
func (t *Table[K, V]) watchFilter(cfg *watchConfig) (func(*Event[K, V]) bool, []byte, []byte, error) {
	lo, hi := t.prefixRange(nil)
	var match func(enc []byte) bool
	switch {
	case cfg.hasKey:
		k, ok := keyAs[K](cfg.key)
		if !ok {
			return nil, nil, nil, t.keyTypeError(cfg.key)
		}
		want := t.s.AppendKey(nil, k)
		match = func(enc []byte) bool { return bytes.Equal(enc, want) }
		lo = append(lo, want...)
		hi = append(append([]byte(nil), lo...), 0)
	case cfg.hasRange:
		from, ok1 := keyAs[K](cfg.from)
		to, ok2 := keyAs[K](cfg.to)
		if !ok1 || !ok2 {
			return nil, nil, nil, t.keyTypeError(cfg.from)
		}
		f, e := t.s.AppendKey(nil, from), t.s.AppendKey(nil, to)
		match = func(enc []byte) bool { return bytes.Compare(enc, f) >= 0 && bytes.Compare(enc, e) < 0 }
		lo = append(lo, f...)
		hi = append(append([]byte(nil), t.valuePrefix...), e...)
	case cfg.prefix != nil:
		p := cfg.prefix
		match = func(enc []byte) bool { return bytes.HasPrefix(enc, p) }
		lo, hi = t.prefixRange(p)
	}
	kinds := cfg.kinds
	if match == nil && kinds == 0 {
		return nil, lo, hi, nil
	}
	var buf []byte // the filter runs on the circuit goroutine only
	return func(e *Event[K, V]) bool {
		if kinds != 0 && kinds&(1<<e.Kind) == 0 {
			return false
		}
		if match == nil {
			return true
		}
		buf = t.s.AppendKey(buf[:0], e.Key)
		return match(buf)
	}, lo, hi, nil
}

func (t *Table[K, V]) keyTypeError(got any) error {
	var k K
	return &OpError{Store: t.s.Name, Op: "Watch", Err: fmt.Errorf("key filter %v of type %T does not convert to the store's key type %T", got, got, k)}
}

// keyAs returns the key filter x as a K: x itself if it is one, or else x
// converted, if x and K are both numbers, or both strings or byte slices,
// and the conversion loses nothing. So WatchKey(7) works for any integer
// key, though Go infers 7 as an int, and WatchKey("a") for a named string
// type.
func keyAs[K any](x any) (K, bool) {
	if k, ok := x.(K); ok {
		return k, true
	}
	var zero K
	from, to := reflect.ValueOf(x), reflect.TypeFor[K]()
	if !from.IsValid() {
		return zero, false
	}
	class := keyClassOf(to)
	if class == 0 || keyClassOf(from.Type()) != class || !from.CanConvert(to) {
		return zero, false
	}
	k := from.Convert(to)
	if class == keyText {
		return k.Interface().(K), true // strings and bytes convert whole
	}
	if back := k.Convert(from.Type()); !back.Equal(from) || negative(k) != negative(from) {
		return zero, false // out of range, or a fraction lost
	}
	return k.Interface().(K), true
}

// Classes of key types that convert into each other by value; 0 is none.
const (
	keyNumber = 1 + iota
	keyText
)

func keyClassOf(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return keyNumber
	case reflect.String:
		return keyText
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return keyText
		}
	}
	return 0
}

func negative(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() < 0
	case reflect.Float32, reflect.Float64:
		return v.Float() < 0
	}
	return false
}
