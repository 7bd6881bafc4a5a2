package metamorphic

import (
	"context"
	"errors"
	"iter"

	"github.com/synapsed/storegen/internal/metamorphic/model"
	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/store"
)

// errRollback is what an Update op's function returns to roll back.
var errRollback = errors.New("metamorphic: roll back")

// outcome is everything an operation answered. Two runs of a log agree
// when their outcomes are reflect.DeepEqual op by op.
type outcome struct {
	// Err is the class of the error: "", "not found", "exists",
	// "conflict", "rollback", or "unexpected: " and the error's text.
	Err      string
	Found    bool // Exists, or Delete's existed
	N        int  // DeleteAll's count
	Items    []model.Item
	Readings []model.Reading
	Sub      []outcome // the operations of an Update or View
}

// errClass names err's class for outcome.Err.
func errClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, store.ErrNotFound):
		return "not found"
	case errors.Is(err, store.ErrExists):
		return "exists"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	case errors.Is(err, errRollback):
		return "rollback"
	}
	return "unexpected: " + err.Error()
}

// api is what the log's record operations run on: the generated stores,
// outside a transaction or inside one, and the map model.
type api interface {
	putItem(v model.Item, insert bool) error
	deleteItem(id string) (bool, error)
	getItem(id string) (model.Item, error)
	existsItem(id string) (bool, error)
	getByEmail(email string) (model.Item, error)
	listByTeam(team string, sc scan) iter.Seq2[model.Item, error]
	scanItems(sc scan) iter.Seq2[model.Item, error]
	scanItemRange(from, to string, sc scan) iter.Seq2[model.Item, error]
	scanItemPrefix(prefix string, sc scan) iter.Seq2[model.Item, error]
	putAllItems(vs []model.Item) error
	deleteAllItems(ids []string) (int, error)
	putReading(v model.Reading) error
	deleteReading(k model.ReadingKey) (bool, error)
	getReading(k model.ReadingKey) (model.Reading, error)
	scanReadings(sc scan) iter.Seq2[model.Reading, error]
	scanBySensor(sensor string, sc scan) iter.Seq2[model.Reading, error]
	scanReadingRange(from, to model.ReadingKey, sc scan) iter.Seq2[model.Reading, error]
	listByKind(kind string, sc scan) iter.Seq2[model.Reading, error]
}

// target is what a whole log runs on: an api with transactions and the
// operations on the database itself.
type target interface {
	api
	// update runs fn atomically and commits unless fn fails; fn may run
	// more than once.
	update(fn func(api) error) error
	// view runs fn on a consistent snapshot.
	view(fn func(api) error) error
	flush() error
	reopen() error
}

// scan is how a scan or index listing iterates.
type scan struct {
	reverse bool
	limit   int
}

// options returns sc as the store's scan options.
func (sc scan) options() []store.ScanOption {
	var opts []store.ScanOption
	if sc.reverse {
		opts = append(opts, store.Reverse())
	}
	if sc.limit > 0 {
		opts = append(opts, store.Limit(sc.limit))
	}
	return opts
}

// execute runs o on t and returns what it answered.
func execute(t target, o op) outcome {
	switch o.kind {
	case update:
		var subs []outcome
		err := t.update(func(a api) error {
			subs = subs[:0] // a rerun of the function starts over
			for _, s := range o.sub {
				subs = append(subs, apply(a, s))
			}
			if o.rollback {
				return errRollback
			}
			return nil
		})
		return outcome{Err: errClass(err), Sub: subs}
	case view:
		var subs []outcome
		err := t.view(func(a api) error {
			subs = subs[:0]
			for _, s := range o.sub {
				subs = append(subs, apply(a, s))
			}
			return nil
		})
		return outcome{Err: errClass(err), Sub: subs}
	case flush:
		return outcome{Err: errClass(t.flush())}
	case reopen:
		return outcome{Err: errClass(t.reopen())}
	}
	return apply(t, o)
}

// apply runs the record operation o on a.
func apply(a api, o op) outcome {
	sc := scan{reverse: o.reverse, limit: o.limit}
	switch o.kind {
	case putItem, insertItem:
		return outcome{Err: errClass(a.putItem(o.item, o.kind == insertItem))}
	case deleteItem:
		existed, err := a.deleteItem(o.key)
		return outcome{Err: errClass(err), Found: existed}
	case getItem:
		return one(a.getItem(o.key))
	case existsItem:
		found, err := a.existsItem(o.key)
		return outcome{Err: errClass(err), Found: found}
	case getByEmail:
		return one(a.getByEmail(o.key))
	case listByTeam:
		return items(a.listByTeam(o.key, sc))
	case scanItems:
		return items(a.scanItems(sc))
	case scanItemRange:
		return items(a.scanItemRange(o.key, o.to, sc))
	case scanItemPrefix:
		return items(a.scanItemPrefix(o.key, sc))
	case putAllItems:
		return outcome{Err: errClass(a.putAllItems(o.items))}
	case deleteAllItems:
		n, err := a.deleteAllItems(o.keys)
		return outcome{Err: errClass(err), N: n}
	case putReading:
		return outcome{Err: errClass(a.putReading(o.reading))}
	case deleteReading:
		existed, err := a.deleteReading(o.rkey)
		return outcome{Err: errClass(err), Found: existed}
	case getReading:
		v, err := a.getReading(o.rkey)
		if err != nil {
			return outcome{Err: errClass(err)}
		}
		return outcome{Readings: []model.Reading{v}}
	case scanReadings:
		return readings(a.scanReadings(sc))
	case scanBySensor:
		return readings(a.scanBySensor(o.sensor, sc))
	case scanReadingRange:
		return readings(a.scanReadingRange(o.rkey, o.rto, sc))
	case listByKind:
		return readings(a.listByKind(o.readKind, sc))
	}
	panic("metamorphic: " + o.kind.String() + " is not a record operation")
}

func one(v model.Item, err error) outcome {
	if err != nil {
		return outcome{Err: errClass(err)}
	}
	return outcome{Items: []model.Item{v}}
}

func items(seq iter.Seq2[model.Item, error]) outcome {
	var out outcome
	for v, err := range seq {
		if err != nil {
			out.Err = errClass(err)
			break
		}
		out.Items = append(out.Items, v)
	}
	return out
}

func readings(seq iter.Seq2[model.Reading, error]) outcome {
	var out outcome
	for v, err := range seq {
		if err != nil {
			out.Err = errClass(err)
			break
		}
		out.Readings = append(out.Readings, v)
	}
	return out
}

// instance is a log's target on an engine: a DB with the model's stores.
type instance struct {
	ctx      context.Context
	open     func() (backend.Backend, error)
	db       *store.DB
	items    *model.ItemStore
	readings *model.ReadingStore
	// durable is false for the memory engine, which reopen leaves open.
	durable bool
}

func newInstance(ctx context.Context, open func() (backend.Backend, error), durable bool) (*instance, error) {
	in := &instance{ctx: ctx, open: open, durable: durable}
	return in, in.start()
}

func (in *instance) start() error {
	b, err := in.open()
	if err != nil {
		return err
	}
	db, err := store.Open(b)
	if err != nil {
		_ = b.Close()
		return err
	}
	in.db, in.items, in.readings = db, model.NewItemStore(db), model.NewReadingStore(db)
	return nil
}

func (in *instance) close() error { return in.db.Close() }

func (in *instance) update(fn func(api) error) error {
	return in.db.Update(in.ctx, func(tx *store.Tx) error {
		return fn(inTx{items: in.items.In(tx), readings: in.readings.In(tx)})
	})
}

func (in *instance) view(fn func(api) error) error {
	return in.db.View(in.ctx, func(tx *store.Tx) error {
		return fn(inTx{items: in.items.In(tx), readings: in.readings.In(tx)})
	})
}

func (in *instance) flush() error { return in.db.Flush(in.ctx) }

func (in *instance) reopen() error {
	if !in.durable {
		return nil
	}
	if err := in.db.Close(); err != nil {
		return err
	}
	return in.start()
}

func (in *instance) putItem(v model.Item, insert bool) error {
	if insert {
		return in.items.Insert(in.ctx, v)
	}
	return in.items.Put(in.ctx, v)
}
func (in *instance) deleteItem(id string) (bool, error)    { return in.items.Delete(in.ctx, id) }
func (in *instance) getItem(id string) (model.Item, error) { return in.items.Get(in.ctx, id) }
func (in *instance) existsItem(id string) (bool, error)    { return in.items.Exists(in.ctx, id) }
func (in *instance) getByEmail(email string) (model.Item, error) {
	return in.items.GetByEmail(in.ctx, email)
}
func (in *instance) listByTeam(team string, sc scan) iter.Seq2[model.Item, error] {
	return in.items.ListByTeam(in.ctx, team, sc.options()...)
}
func (in *instance) scanItems(sc scan) iter.Seq2[model.Item, error] {
	return in.items.Scan(in.ctx, sc.options()...)
}
func (in *instance) scanItemRange(from, to string, sc scan) iter.Seq2[model.Item, error] {
	return in.items.ScanRange(in.ctx, from, to, sc.options()...)
}
func (in *instance) scanItemPrefix(prefix string, sc scan) iter.Seq2[model.Item, error] {
	return in.items.ScanPrefix(in.ctx, prefix, sc.options()...)
}
func (in *instance) putAllItems(vs []model.Item) error { return in.items.PutAll(in.ctx, vs) }
func (in *instance) deleteAllItems(ids []string) (int, error) {
	return in.items.DeleteAll(in.ctx, ids)
}
func (in *instance) putReading(v model.Reading) error { return in.readings.Put(in.ctx, v) }
func (in *instance) deleteReading(k model.ReadingKey) (bool, error) {
	return in.readings.Delete(in.ctx, k.Sensor, k.At)
}
func (in *instance) getReading(k model.ReadingKey) (model.Reading, error) {
	return in.readings.Get(in.ctx, k.Sensor, k.At)
}
func (in *instance) scanReadings(sc scan) iter.Seq2[model.Reading, error] {
	return in.readings.Scan(in.ctx, sc.options()...)
}
func (in *instance) scanBySensor(sensor string, sc scan) iter.Seq2[model.Reading, error] {
	return in.readings.ScanBySensor(in.ctx, sensor, sc.options()...)
}
func (in *instance) scanReadingRange(from, to model.ReadingKey, sc scan) iter.Seq2[model.Reading, error] {
	return in.readings.ScanRange(in.ctx, from, to, sc.options()...)
}
func (in *instance) listByKind(kind string, sc scan) iter.Seq2[model.Reading, error] {
	return in.readings.ListByKind(in.ctx, kind, sc.options()...)
}

// inTx is the api inside a transaction of an instance.
type inTx struct {
	items    model.ItemTx
	readings model.ReadingTx
}

func (x inTx) putItem(v model.Item, insert bool) error {
	if insert {
		return x.items.Insert(v)
	}
	return x.items.Put(v)
}
func (x inTx) deleteItem(id string) (bool, error)          { return x.items.Delete(id) }
func (x inTx) getItem(id string) (model.Item, error)       { return x.items.Get(id) }
func (x inTx) existsItem(id string) (bool, error)          { return x.items.Exists(id) }
func (x inTx) getByEmail(email string) (model.Item, error) { return x.items.GetByEmail(email) }
func (x inTx) listByTeam(team string, sc scan) iter.Seq2[model.Item, error] {
	return x.items.ListByTeam(team, sc.options()...)
}
func (x inTx) scanItems(sc scan) iter.Seq2[model.Item, error] {
	return x.items.Scan(sc.options()...)
}
func (x inTx) scanItemRange(from, to string, sc scan) iter.Seq2[model.Item, error] {
	return x.items.ScanRange(from, to, sc.options()...)
}
func (x inTx) scanItemPrefix(prefix string, sc scan) iter.Seq2[model.Item, error] {
	return x.items.ScanPrefix(prefix, sc.options()...)
}
func (x inTx) putAllItems(vs []model.Item) error        { return x.items.PutAll(vs) }
func (x inTx) deleteAllItems(ids []string) (int, error) { return x.items.DeleteAll(ids) }
func (x inTx) putReading(v model.Reading) error         { return x.readings.Put(v) }
func (x inTx) deleteReading(k model.ReadingKey) (bool, error) {
	return x.readings.Delete(k.Sensor, k.At)
}
func (x inTx) getReading(k model.ReadingKey) (model.Reading, error) {
	return x.readings.Get(k.Sensor, k.At)
}
func (x inTx) scanReadings(sc scan) iter.Seq2[model.Reading, error] {
	return x.readings.Scan(sc.options()...)
}
func (x inTx) scanBySensor(sensor string, sc scan) iter.Seq2[model.Reading, error] {
	return x.readings.ScanBySensor(sensor, sc.options()...)
}
func (x inTx) scanReadingRange(from, to model.ReadingKey, sc scan) iter.Seq2[model.Reading, error] {
	return x.readings.ScanRange(from, to, sc.options()...)
}
func (x inTx) listByKind(kind string, sc scan) iter.Seq2[model.Reading, error] {
	return x.readings.ListByKind(kind, sc.options()...)
}
