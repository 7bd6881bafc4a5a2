package metamorphic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/synapsed/storegen/internal/metamorphic/model"
)

// kind names an operation of the log.
type kind uint8

const (
	putItem kind = iota
	insertItem
	deleteItem
	getItem
	existsItem
	getByEmail
	listByTeam
	scanItems
	scanItemRange
	scanItemPrefix
	putAllItems
	deleteAllItems
	putReading
	deleteReading
	getReading
	scanReadings
	scanBySensor
	scanReadingRange
	listByKind
	// update runs its sub-operations in one DB.Update, which commits unless
	// rollback is set: then the function returns errRollback.
	update
	// view runs its read-only sub-operations in one DB.View.
	view
	flush
	// reopen closes the DB and opens it again on the same data; on the
	// memory engine, which keeps nothing across Close, it does nothing.
	reopen
	numKinds
)

var kindNames = [numKinds]string{
	putItem: "PutItem", insertItem: "InsertItem", deleteItem: "DeleteItem",
	getItem: "GetItem", existsItem: "ExistsItem", getByEmail: "GetByEmail",
	listByTeam: "ListByTeam", scanItems: "ScanItems", scanItemRange: "ScanItemRange",
	scanItemPrefix: "ScanItemPrefix", putAllItems: "PutAllItems", deleteAllItems: "DeleteAllItems",
	putReading: "PutReading", deleteReading: "DeleteReading", getReading: "GetReading",
	scanReadings: "ScanReadings", scanBySensor: "ScanBySensor", scanReadingRange: "ScanReadingRange",
	listByKind: "ListByKind", update: "Update", view: "View", flush: "Flush", reopen: "Reopen",
}

func (k kind) String() string { return kindNames[k] }

// op is one entry of the log. Which fields matter depends on kind.
type op struct {
	kind kind

	item  model.Item   // putItem, insertItem
	items []model.Item // putAllItems
	// key is the item key (deleteItem, getItem, existsItem), the email,
	// the team, the scan prefix or the range's start.
	key  string
	to   string   // scanItemRange's end
	keys []string // deleteAllItems

	reading  model.Reading    // putReading
	rkey     model.ReadingKey // deleteReading, getReading, scanReadingRange's start
	rto      model.ReadingKey // scanReadingRange's end
	sensor   string           // scanBySensor
	readKind string           // listByKind

	reverse bool
	limit   int

	sub      []op // update, view
	rollback bool // update
}

// String describes o for a failure message, without the bulky fields.
func (o op) String() string {
	var b strings.Builder
	b.WriteString(o.kind.String())
	scan := func() {
		if o.reverse {
			b.WriteString(" reverse")
		}
		if o.limit > 0 {
			fmt.Fprintf(&b, " limit %d", o.limit)
		}
	}
	switch o.kind {
	case putItem, insertItem:
		fmt.Fprintf(&b, " id=%q email=%q team=%q", o.item.ID, o.item.Email, o.item.Team)
	case putAllItems:
		for _, v := range o.items {
			fmt.Fprintf(&b, " {id=%q email=%q team=%q}", v.ID, v.Email, v.Team)
		}
	case deleteItem, getItem, existsItem, getByEmail:
		fmt.Fprintf(&b, " %q", o.key)
	case deleteAllItems:
		fmt.Fprintf(&b, " %q", o.keys)
	case listByTeam, scanItemPrefix:
		fmt.Fprintf(&b, " %q", o.key)
		scan()
	case scanItems, scanReadings:
		scan()
	case scanItemRange:
		fmt.Fprintf(&b, " [%q, %q)", o.key, o.to)
		scan()
	case putReading:
		fmt.Fprintf(&b, " %q/%d kind=%q", o.reading.Sensor, o.reading.At, o.reading.Kind)
	case deleteReading, getReading:
		fmt.Fprintf(&b, " %q/%d", o.rkey.Sensor, o.rkey.At)
	case scanBySensor:
		fmt.Fprintf(&b, " %q", o.sensor)
		scan()
	case scanReadingRange:
		fmt.Fprintf(&b, " [%q/%d, %q/%d)", o.rkey.Sensor, o.rkey.At, o.rto.Sensor, o.rto.At)
		scan()
	case listByKind:
		fmt.Fprintf(&b, " %q", o.readKind)
		scan()
	case update, view:
		if o.rollback {
			b.WriteString(" (rolls back)")
		}
		b.WriteString(" {")
		for i, s := range o.sub {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(s.String())
		}
		b.WriteString("}")
	}
	return b.String()
}

// The pools keys and index values are drawn from: small enough that puts
// update existing records and deletes find them, and holding the keys whose
// encodings need care: the empty string, 0x00 (escaped in key encodings),
// 0xFF, keys that are prefixes of others, and multi-byte UTF-8.
var (
	specialIDs = []string{"", "a", "a\x00", "a\x00b", "a\x01", "ab", "abc", "b", "\xff", "\xff\xff", "é", "日本", "k"}
	teams      = []string{"", "red", "green", "blue", "re", "red\x00"}
	sensors    = []string{"a", "a\x00", "ab", "b", ""}
	readKinds  = []string{"", "temp", "hum", "temp2"}
)

// numIDs is how many plain keys ("k000"…) the item pool holds besides the
// special ones.
const numIDs = 150

// generator draws a log from a seeded source.
type generator struct {
	r   *rand.Rand
	ids []string
}

func newGenerator(seed uint64) *generator {
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	g.ids = append(g.ids, specialIDs...)
	for i := range numIDs {
		g.ids = append(g.ids, fmt.Sprintf("k%03d", i))
	}
	return g
}

// generate returns a log of n operations drawn from seed.
func generate(seed uint64, n int) []op {
	g := newGenerator(seed)
	log := make([]op, n)
	for i := range log {
		log[i] = g.top()
	}
	return log
}

// weighted picks an index of weights with probability proportional to it.
func (g *generator) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	panic("unreachable")
}

// topWeights are the frequencies, in thousandths, of top-level operations.
var topWeights = [numKinds]int{
	putItem: 200, insertItem: 30, deleteItem: 70, getItem: 90, existsItem: 25,
	getByEmail: 50, listByTeam: 45, scanItems: 30, scanItemRange: 30, scanItemPrefix: 30,
	putAllItems: 30, deleteAllItems: 15,
	putReading: 80, deleteReading: 25, getReading: 40, scanReadings: 15, scanBySensor: 25,
	scanReadingRange: 20, listByKind: 25,
	update: 80, view: 30, flush: 8, reopen: 7,
}

// subWeights are the frequencies of operations inside an Update: every
// single-record write and every read, but no batch put, whose failure half
// way would leave the earlier records of the batch in the transaction.
var subWeights = func() [numKinds]int {
	w := topWeights
	w[putAllItems], w[update], w[view], w[flush], w[reopen] = 0, 0, 0, 0, 0
	return w
}()

// readWeights are the frequencies of operations inside a View: reads only.
var readWeights = func() [numKinds]int {
	w := subWeights
	for _, k := range []kind{putItem, insertItem, deleteItem, deleteAllItems, putReading, deleteReading} {
		w[k] = 0
	}
	return w
}()

func (g *generator) top() op { return g.op(topWeights[:]) }

func (g *generator) op(weights []int) op {
	o := op{kind: kind(g.weighted(weights))}
	switch o.kind {
	case putItem, insertItem:
		o.item = g.item()
	case putAllItems:
		for range 1 + g.r.IntN(6) {
			o.items = append(o.items, g.item())
		}
	case deleteItem, getItem, existsItem:
		o.key = g.id()
	case getByEmail:
		o.key = email(g.id())
	case deleteAllItems:
		for range 1 + g.r.IntN(5) {
			o.keys = append(o.keys, g.id())
		}
	case listByTeam:
		o.key = teams[g.r.IntN(len(teams))]
		g.scan(&o)
	case scanItems, scanReadings:
		g.scan(&o)
	case scanItemRange:
		// Usually from <= to; sometimes the other way, which must be empty.
		o.key, o.to = g.id(), g.id()
		if o.key > o.to && g.r.IntN(4) > 0 {
			o.key, o.to = o.to, o.key
		}
		g.scan(&o)
	case scanItemPrefix:
		id := g.id()
		o.key = id[:g.r.IntN(len(id)+1)]
		g.scan(&o)
	case putReading:
		o.reading = g.reading()
	case deleteReading, getReading:
		o.rkey = g.readingKey()
	case scanBySensor:
		o.sensor = sensors[g.r.IntN(len(sensors))]
		g.scan(&o)
	case scanReadingRange:
		o.rkey, o.rto = g.readingKey(), g.readingKey()
		if lessReadingKey(o.rto, o.rkey) && g.r.IntN(4) > 0 {
			o.rkey, o.rto = o.rto, o.rkey
		}
		g.scan(&o)
	case listByKind:
		o.readKind = readKinds[g.r.IntN(len(readKinds))]
		g.scan(&o)
	case update:
		for range 1 + g.r.IntN(6) {
			o.sub = append(o.sub, g.op(subWeights[:]))
		}
		o.rollback = g.r.IntN(3) == 0
	case view:
		for range 1 + g.r.IntN(4) {
			o.sub = append(o.sub, g.op(readWeights[:]))
		}
	}
	return o
}

func (g *generator) scan(o *op) {
	o.reverse = g.r.IntN(2) == 0
	if g.r.IntN(3) == 0 {
		o.limit = 1 + g.r.IntN(10)
	}
}

func (g *generator) id() string { return g.ids[g.r.IntN(len(g.ids))] }

// email is the unique index value a record of key id usually has.
func email(id string) string { return "u-" + id + "@x" }

// item returns a record for a random key. Its email is mostly the key's
// own, sometimes a second one of the key's (so that an update moves the
// unique index entry), and sometimes another key's, which conflicts when
// that key's record holds it.
func (g *generator) item() model.Item {
	id := g.id()
	v := model.Item{ID: id, Team: teams[g.r.IntN(len(teams))], Score: g.r.Int64() - math.MaxInt64/2}
	switch n := g.r.IntN(10); {
	case n < 7:
		v.Email = email(id)
	case n < 9:
		v.Email = "u-" + id + "-2@x"
	default:
		v.Email = email(g.id())
	}
	v.Note = g.note()
	switch g.r.IntN(4) {
	case 0:
	case 1:
		v.Tags = []string{}
	default:
		for range 1 + g.r.IntN(4) {
			v.Tags = append(v.Tags, teams[g.r.IntN(len(teams))])
		}
	}
	switch g.r.IntN(4) {
	case 0:
	case 1:
		v.Data = []byte{}
	default:
		v.Data = make([]byte, g.r.IntN(300))
		for i := range v.Data {
			v.Data[i] = byte(g.r.Uint32())
		}
	}
	if g.r.IntN(5) > 0 {
		v.Created = time.Unix(g.r.Int64N(1<<35)-1<<34, g.r.Int64N(1e9)).UTC()
	}
	return v
}

// note is text of any length from none to about a kilobyte, repetitive
// enough that the compress layer stores the longer ones compressed.
func (g *generator) note() string {
	words := []string{"order", "shipped", "to", "the", "warehouse", "on", "time", "late", "again", "customer", "asked"}
	var b strings.Builder
	for range g.r.IntN(4) * g.r.IntN(50) {
		b.WriteString(words[g.r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()
}

func (g *generator) readingKey() model.ReadingKey {
	k := model.ReadingKey{Sensor: sensors[g.r.IntN(len(sensors))], At: g.r.Int64N(81) - 40}
	switch g.r.IntN(40) {
	case 0:
		k.At = math.MinInt64
	case 1:
		k.At = math.MaxInt64
	}
	return k
}

func (g *generator) reading() model.Reading {
	k := g.readingKey()
	v := model.Reading{Sensor: k.Sensor, At: k.At, Kind: readKinds[g.r.IntN(len(readKinds))]}
	if g.r.IntN(5) > 0 {
		v.Value = g.r.NormFloat64() * 100
	}
	switch g.r.IntN(3) {
	case 0:
	case 1:
		v.Labels = map[string]string{}
	default:
		v.Labels = map[string]string{}
		for range 1 + g.r.IntN(3) {
			v.Labels[teams[g.r.IntN(len(teams))]] = readKinds[g.r.IntN(len(readKinds))]
		}
	}
	return v
}
