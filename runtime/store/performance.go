package store

import (
	"time"

	"github.com/synapsed/storegen/runtime/serventis"
)

// Performance is how a store, or the DB as a whole, did over the last
// window its Assessor judged (one second by default): the figures of
// serventis.Snapshot in the store's terms. Latencies are those of the timed
// operations (see monitor.go), rates and error rates those of all.
type Performance struct {
	// Store names the store; empty for the DB as a whole.
	Store string `json:"store,omitempty"`
	// Time is the end of the window; Window its span.
	Time   time.Time     `json:"time"`
	Window time.Duration `json:"window_ns"`
	// Operations is how many operations completed in the window.
	Operations   uint64        `json:"operations"`
	OpsPerSecond float64       `json:"ops_per_second"`
	AvgLatency   time.Duration `json:"avg_latency_ns"`
	P95Latency   time.Duration `json:"p95_latency_ns"`
	// ErrorRate is the share of the operations that failed (see
	// OpCounters.Errors).
	ErrorRate float64 `json:"error_rate"`
	// CacheLayer reports whether the backend has a cache layer, known by
	// the "cache_hits" and "cache_misses" figures of its Stats;
	// CacheHitRate is then the share of its lookups it answered, between
	// the two latest readings of the figures (the DB reads them at most
	// once a second, when asked) or since it started. The DB's only.
	CacheLayer   bool    `json:"cache_layer"`
	CacheHitRate float64 `json:"cache_hit_rate"`
	// Condition and Confidence are the assessor's judgement, Cause why.
	Condition  serventis.Condition  `json:"condition"`
	Confidence serventis.Confidence `json:"confidence"`
	Cause      serventis.Cause      `json:"cause"`
}

// performanceOf reads an assessor's snapshot as Performance; a nil
// assessor (monitoring off) gives an empty one, STABLE and TENTATIVE.
func performanceOf(a *serventis.Assessor, store string) Performance {
	if a == nil {
		return Performance{Store: store, Time: time.Now(), Condition: unmonitored.Condition, Confidence: unmonitored.Confidence}
	}
	s := a.Snapshot()
	return Performance{
		Store:        store,
		Time:         s.At,
		Window:       s.Window,
		Operations:   s.Samples,
		OpsPerSecond: s.OpsPerSecond,
		AvgLatency:   s.AvgLatency,
		P95Latency:   s.P95Latency,
		ErrorRate:    s.ErrorRate,
		Condition:    s.Status.Condition,
		Confidence:   s.Status.Confidence,
		Cause:        s.Cause,
	}
}

// Performance returns how the DB as a whole did: every operation of every
// store and the DB's own, judged by the backend's Assessor, with the cache
// layer's hit rate when there is one. It never waits for the backend: the
// hit rate comes from the latest reading of its figures, taken again in the
// background when it is more than a second old.
func (db *DB) Performance() Performance {
	if db.mon == nil {
		return performanceOf(nil, "")
	}
	p := performanceOf(db.mon.backend, "")
	r := db.mon.stats.get(db, false)
	p.CacheLayer, p.CacheHitRate = r.cached, r.hitRate
	return p
}

// StorePerformance returns the Performance of the store called name, and
// false if no such store was opened on the DB.
func (db *DB) StorePerformance(name string) (Performance, bool) {
	db.mu.Lock()
	ks := db.keyspaces[name]
	db.mu.Unlock()
	if ks == nil {
		return Performance{}, false
	}
	if ks.mon == nil {
		return performanceOf(nil, name), true
	}
	return performanceOf(ks.mon.a, name), true
}

// Performance returns the store's Performance.
func (t *Table[K, V]) Performance() Performance {
	if t.mon == nil {
		return performanceOf(nil, t.s.Name)
	}
	return performanceOf(t.mon.a, t.s.Name)
}

// Status returns the backend's Status, judged on every operation of every
// store and the DB's own (STABLE and TENTATIVE with monitoring off).
func (db *DB) Status() serventis.Status {
	if db.mon == nil {
		return unmonitored
	}
	return db.mon.backend.Status()
}

// Situation judges the DB's situation from the Status of the backend, of
// every store and of the network probe, if any (serventis.SituationOf):
// CRITICAL if any is DOWN or DEFECTIVE, WARNING if any is DEGRADED,
// ERRATIC or DIVERGING, NORMAL otherwise. The DB's Reporter ("db" on the
// Kit) emits it whenever a status change changes it. Resources are judged
// apart, by Resources.
func (db *DB) Situation() serventis.Situation {
	if db.mon == nil {
		return serventis.Normal
	}
	db.mu.Lock()
	statuses := make([]serventis.Status, 0, len(db.keyspaces)+2)
	mons := make([]*opMonitor, 0, len(db.keyspaces))
	for _, ks := range db.keyspaces {
		mons = append(mons, ks.mon)
	}
	db.mu.Unlock()
	for _, m := range mons {
		statuses = append(statuses, m.a.Status())
	}
	statuses = append(statuses, db.mon.backend.Status())
	if p := db.mon.probe; p != nil {
		if st, ok := p.status(); ok {
			statuses = append(statuses, st)
		}
	}
	return serventis.SituationOf(statuses...)
}
