package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// EventJSON is the JSON form of a change event that DB.WatchJSON delivers,
// one object per event:
//
//	{"store":"user","kind":"Updated","key":"u1","seq":12,"txid":7,
//	 "time":"2025-01-02T15:04:05.999999999Z","old":{...},"new":{...}}
//
// Key is Redacted when the store's key is sensitive. Old and New are the
// records as encoding/json renders them after the store's Schema.Redact
// cleared their sensitive fields; they are left out for a store without
// Redact, and Old for Created and New for Deleted events.
type EventJSON struct {
	Store string          `json:"store"`
	Kind  string          `json:"kind"`
	Key   string          `json:"key"`
	Seq   uint64          `json:"seq"`
	TxID  uint64          `json:"txid"`
	Time  time.Time       `json:"time"`
	Old   json.RawMessage `json:"old,omitempty"`
	New   json.RawMessage `json:"new,omitempty"`
}

// WatchJSON subscribes to the committed changes of the store called name,
// whatever its types, each delivered as the JSON of an EventJSON: for
// programs that pass events on without knowing the record type, such as an
// HTTP event stream. Buffer, OnOverflow, Kinds and WatchPrefix apply;
// Existing does not. Events are rendered on the DB's event circuit, so a
// JSON subscription costs every change of the store an encoding. It
// returns ErrUnknownStore if no store called name was opened on the DB.
func (db *DB) WatchJSON(ctx context.Context, name string, opts ...WatchOption) (*Subscription[[]byte], error) {
	var watch func(context.Context, []WatchOption) *Subscription[[]byte]
	db.mu.Lock()
	ks := db.keyspaces[name]
	db.mu.Unlock()
	if ks != nil {
		ks.mu.Lock()
		watch = ks.watchJSON // nil while the store's first table is being made
		ks.mu.Unlock()
	}
	if watch == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownStore, name)
	}
	return watch(ctx, opts), nil
}

// watchJSON is WatchJSON for t's store.
func (t *Table[K, V]) watchJSON(ctx context.Context, opts []WatchOption) *Subscription[[]byte] {
	cfg := watchConfigOf(opts)
	cfg.existing = false
	filter, _, _, err := t.watchFilter(&cfg)
	sub := newSubscription[[]byte](&cfg, nil)
	if err != nil {
		sub.end(err)
		return sub
	}
	var e Event[K, V] // the pipe's copy; circuit goroutine only
	attach(t, ctx, sub, func(ev Event[K, V]) {
		e = ev
		if filter == nil || filter(&e) {
			sub.offer(t.eventJSON(&e))
		}
	}, nil)
	return sub
}

// eventJSON renders e as an EventJSON.
func (t *Table[K, V]) eventJSON(e *Event[K, V]) []byte {
	doc := EventJSON{
		Store: t.s.Name,
		Kind:  e.Kind.String(),
		Key:   t.s.formatKey(e.Key),
		Seq:   e.Seq,
		TxID:  e.TxID,
		Time:  e.Time,
	}
	if e.Kind != Created {
		doc.Old = t.recordJSON(&e.Old)
	}
	if e.Kind != Deleted {
		doc.New = t.recordJSON(&e.New)
	}
	b, err := json.Marshal(doc)
	if err != nil { // a record's JSON is already valid; only the clock's year could fail
		doc.Old, doc.New, doc.Time = nil, nil, time.Time{}
		b, _ = json.Marshal(doc)
	}
	return b
}

// recordJSON renders v with its sensitive fields cleared, or returns nil
// when the store cannot clear them or v cannot be rendered. Redact works on
// a copy made by encoding and decoding v, which shares nothing with the
// event other subscribers receive.
func (t *Table[K, V]) recordJSON(v *V) json.RawMessage {
	if t.s.Redact == nil {
		return nil
	}
	enc, err := t.s.Encode(nil, v)
	if err != nil {
		return nil
	}
	var c V
	if err := t.s.Decode(enc, &c); err != nil {
		return nil
	}
	t.s.Redact(&c)
	b, err := json.Marshal(&c)
	if err != nil {
		return nil
	}
	return b
}
