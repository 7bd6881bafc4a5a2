package metamorphic

import (
	"cmp"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/synapsed/storegen/internal/metamorphic/model"
	"github.com/synapsed/storegen/runtime/store"
)

// oracle is the model the memory engine's answers are checked against:
// two maps and the documented behaviour of a generated store, written as
// plainly as possible. Keys order as Go orders their fields (strings
// bytewise, integers numerically), which is what the key encodings
// promise to preserve.
type oracle struct {
	items    map[string]model.Item
	readings map[model.ReadingKey]model.Reading
}

var _ target = (*oracle)(nil)

func newOracle() *oracle {
	return &oracle{items: map[string]model.Item{}, readings: map[model.ReadingKey]model.Reading{}}
}

func (o *oracle) clone() *oracle {
	return &oracle{items: maps.Clone(o.items), readings: maps.Clone(o.readings)}
}

// update runs fn on a copy that replaces o only if fn succeeds.
func (o *oracle) update(fn func(api) error) error {
	c := o.clone()
	if err := fn(c); err != nil {
		return err
	}
	*o = *c
	return nil
}

func (o *oracle) view(fn func(api) error) error { return fn(o) }
func (o *oracle) flush() error                  { return nil }
func (o *oracle) reopen() error                 { return nil }

// putItem stores v unless its key is taken (for an insert) or another
// record holds its email; either way nothing changes on failure.
func (o *oracle) putItem(v model.Item, insert bool) error {
	if _, ok := o.items[v.ID]; ok && insert {
		return store.ErrExists
	}
	for id, w := range o.items {
		if id != v.ID && w.Email == v.Email {
			return store.ErrConflict
		}
	}
	o.items[v.ID] = v
	return nil
}

func (o *oracle) deleteItem(id string) (bool, error) {
	_, ok := o.items[id]
	delete(o.items, id)
	return ok, nil
}

func (o *oracle) getItem(id string) (model.Item, error) {
	v, ok := o.items[id]
	if !ok {
		return v, store.ErrNotFound
	}
	return v, nil
}

func (o *oracle) existsItem(id string) (bool, error) {
	_, ok := o.items[id]
	return ok, nil
}

func (o *oracle) getByEmail(email string) (model.Item, error) {
	for _, v := range o.items {
		if v.Email == email {
			return v, nil
		}
	}
	return model.Item{}, store.ErrNotFound
}

// putAllItems is all or none, as PutAll outside a transaction is.
func (o *oracle) putAllItems(vs []model.Item) error {
	return o.update(func(a api) error {
		for _, v := range vs {
			if err := a.putItem(v, false); err != nil {
				return err
			}
		}
		return nil
	})
}

func (o *oracle) deleteAllItems(ids []string) (int, error) {
	n := 0
	for _, id := range ids {
		if _, ok := o.items[id]; ok {
			n++
			delete(o.items, id)
		}
	}
	return n, nil
}

func (o *oracle) scanItems(sc scan) iter.Seq2[model.Item, error] {
	return o.selectItems(sc, func(model.Item) bool { return true })
}

func (o *oracle) listByTeam(team string, sc scan) iter.Seq2[model.Item, error] {
	return o.selectItems(sc, func(v model.Item) bool { return v.Team == team })
}

func (o *oracle) scanItemRange(from, to string, sc scan) iter.Seq2[model.Item, error] {
	return o.selectItems(sc, func(v model.Item) bool { return from <= v.ID && v.ID < to })
}

func (o *oracle) scanItemPrefix(prefix string, sc scan) iter.Seq2[model.Item, error] {
	return o.selectItems(sc, func(v model.Item) bool { return strings.HasPrefix(v.ID, prefix) })
}

// selectItems iterates the items that keep accepts, in key order.
func (o *oracle) selectItems(sc scan, keep func(model.Item) bool) iter.Seq2[model.Item, error] {
	var out []model.Item
	for _, id := range slices.Sorted(maps.Keys(o.items)) {
		if keep(o.items[id]) {
			out = append(out, o.items[id])
		}
	}
	return limited(out, sc)
}

func (o *oracle) putReading(v model.Reading) error {
	o.readings[model.ReadingKey{Sensor: v.Sensor, At: v.At}] = v
	return nil
}

func (o *oracle) deleteReading(k model.ReadingKey) (bool, error) {
	_, ok := o.readings[k]
	delete(o.readings, k)
	return ok, nil
}

func (o *oracle) getReading(k model.ReadingKey) (model.Reading, error) {
	v, ok := o.readings[k]
	if !ok {
		return v, store.ErrNotFound
	}
	return v, nil
}

func (o *oracle) scanReadings(sc scan) iter.Seq2[model.Reading, error] {
	return o.selectReadings(sc, func(model.Reading) bool { return true })
}

func (o *oracle) scanBySensor(sensor string, sc scan) iter.Seq2[model.Reading, error] {
	return o.selectReadings(sc, func(v model.Reading) bool { return v.Sensor == sensor })
}

func (o *oracle) scanReadingRange(from, to model.ReadingKey, sc scan) iter.Seq2[model.Reading, error] {
	return o.selectReadings(sc, func(v model.Reading) bool {
		k := model.ReadingKey{Sensor: v.Sensor, At: v.At}
		return !lessReadingKey(k, from) && lessReadingKey(k, to)
	})
}

func (o *oracle) listByKind(kind string, sc scan) iter.Seq2[model.Reading, error] {
	return o.selectReadings(sc, func(v model.Reading) bool { return v.Kind == kind })
}

// selectReadings iterates the readings that keep accepts, in key order.
func (o *oracle) selectReadings(sc scan, keep func(model.Reading) bool) iter.Seq2[model.Reading, error] {
	var out []model.Reading
	for _, k := range slices.SortedFunc(maps.Keys(o.readings), compareReadingKeys) {
		if keep(o.readings[k]) {
			out = append(out, o.readings[k])
		}
	}
	return limited(out, sc)
}

func compareReadingKeys(a, b model.ReadingKey) int {
	return cmp.Or(strings.Compare(a.Sensor, b.Sensor), cmp.Compare(a.At, b.At))
}

func lessReadingKey(a, b model.ReadingKey) bool { return compareReadingKeys(a, b) < 0 }

// limited iterates vs, in key order, in the direction and up to the limit
// sc asks for.
func limited[V any](vs []V, sc scan) iter.Seq2[V, error] {
	if sc.reverse {
		slices.Reverse(vs)
	}
	if sc.limit > 0 && len(vs) > sc.limit {
		vs = vs[:sc.limit]
	}
	return func(yield func(V, error) bool) {
		for _, v := range vs {
			if !yield(v, nil) {
				return
			}
		}
	}
}
