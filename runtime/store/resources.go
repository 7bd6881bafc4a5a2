package store

import (
	"context"
	"math"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/serventis"
)

// Resources is what the DB uses of the machine: the process's memory, the
// backend's disk, and, for a remote backend watched by a Probe, the
// network. Each is judged on its own (see ResourceUse); they do not enter
// the DB's Situation, which is judged on operations.
type Resources struct {
	// Time is when the resources were read.
	Time    time.Time   `json:"time"`
	Memory  ResourceUse `json:"memory"`
	Disk    ResourceUse `json:"disk"`
	Network *NetworkUse `json:"network,omitempty"`
	Backend BackendUse  `json:"backend"`
}

// ResourceUse is how much of a resource is in use, and the judgement of
// it: STABLE below 80% utilisation, DEGRADED from 80%, DEFECTIVE from 95%
// (writes are about to fail), DOWN from 99%. Confidence is CONFIRMED for a
// filesystem's figures, which are exact, MEASURED for memory, which moves
// with every collection, and TENTATIVE — STABLE — when the capacity is
// unknown.
type ResourceUse struct {
	// Used is the bytes in use: for memory, what the Go runtime holds
	// from the operating system (the embedded engines' memory included);
	// for disk, the backend's files (0 for a memory or remote engine).
	Used int64 `json:"used_bytes"`
	// Capacity is the bytes there are: the process's memory limit
	// (GOMEMLIMIT) or, without one, the machine's memory; the size of the
	// filesystem the backend's files are on. 0 when unknown.
	Capacity int64 `json:"capacity_bytes"`
	// Free is the bytes left: Capacity less Used for memory, the space
	// the filesystem has available for the process for disk.
	Free int64 `json:"free_bytes"`
	// Utilisation is the share of Capacity in use, from 0 to 1: Used over
	// Capacity for memory; for disk, the share of the filesystem in use by
	// anything, 1 − Free/Capacity, since the store runs out of room when
	// the filesystem does. 0 when Capacity is unknown.
	Utilisation float64              `json:"utilisation"`
	Condition   serventis.Condition  `json:"condition"`
	Confidence  serventis.Confidence `json:"confidence"`
}

// NetworkUse is what a Probe saw of a remote backend's round trips over
// its assessor's last window, with the byte counts the engine reports as
// the figures "network_bytes_sent" and "network_bytes_received", if it
// does. A network's capacity is unknown to the store, so Utilisation is
// always 0; Condition and Confidence are the Probe's assessor's judgement.
type NetworkUse struct {
	Probe         string               `json:"probe"`
	RoundTrips    uint64               `json:"round_trips"`
	Errors        uint64               `json:"errors"`
	PerSecond     float64              `json:"round_trips_per_second"`
	AvgLatency    time.Duration        `json:"avg_latency_ns"`
	P95Latency    time.Duration        `json:"p95_latency_ns"`
	ErrorRate     float64              `json:"error_rate"`
	BytesSent     int64                `json:"bytes_sent"`
	BytesReceived int64                `json:"bytes_received"`
	Utilisation   float64              `json:"utilisation"`
	Condition     serventis.Condition  `json:"condition"`
	Confidence    serventis.Confidence `json:"confidence"`
}

// BackendUse is the backend's latest Stats, read at most once a second.
// Available is false when none could be read.
type BackendUse struct {
	Available     bool             `json:"available"`
	Engine        string           `json:"engine,omitempty"`
	Keys          int64            `json:"keys"`
	KeysEstimated bool             `json:"keys_estimated,omitempty"`
	DiskBytes     int64            `json:"disk_bytes"`
	MemoryBytes   int64            `json:"memory_bytes"`
	Figures       map[string]int64 `json:"figures,omitempty"`
}

// Resources reads the resources the DB uses. It reads the backend's Stats
// if the latest reading is more than a second old, waiting for it; memory
// comes from runtime/metrics, which stops nothing.
func (db *DB) Resources() Resources {
	now := time.Now()
	res := Resources{Time: now}
	var r statsReading
	if db.mon != nil {
		r = db.mon.stats.get(db, true)
	} else {
		r = readStats(db)
	}
	if r.ok {
		st := r.st
		res.Backend = BackendUse{Available: true, Engine: st.Engine, Keys: st.Keys, KeysEstimated: st.KeysEstimated,
			DiskBytes: st.DiskBytes, MemoryBytes: st.MemoryBytes, Figures: st.Figures}
	}
	res.Memory = memoryUse()
	res.Disk = db.diskUse(res.Backend.DiskBytes)
	if db.mon != nil && db.mon.probe != nil {
		res.Network = db.networkUse(res.Backend.Figures)
	}
	return res
}

// memoryUse reads the process's memory from runtime/metrics.
func memoryUse() ResourceUse {
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/gomemlimit:bytes"},
	}
	metrics.Read(samples)
	value := func(i int) int64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(min(samples[i].Value.Uint64(), math.MaxInt64))
	}
	u := ResourceUse{Used: value(0) - value(1)}
	u.Capacity = value(2)
	if u.Capacity == 0 || u.Capacity == math.MaxInt64 { // no limit set
		u.Capacity = physicalMemory()
	}
	if u.Capacity > 0 {
		u.Free = max(u.Capacity-u.Used, 0)
		u.Utilisation = float64(u.Used) / float64(u.Capacity)
	}
	u.Condition, u.Confidence = judgeUse(u.Utilisation, u.Capacity > 0, serventis.Measured)
	return u
}

// diskUse judges the backend's files, of used bytes, against the
// filesystem they are on, when the backend says where that is.
func (db *DB) diskUse(used int64) ResourceUse {
	u := ResourceUse{Used: used}
	if p, ok := db.b.(backend.Pather); ok {
		if total, free, err := filesystem(p.Path()); err == nil && total > 0 {
			u.Capacity, u.Free = total, free
			u.Utilisation = 1 - float64(free)/float64(total)
		}
	}
	u.Condition, u.Confidence = judgeUse(u.Utilisation, u.Capacity > 0, serventis.Confirmed)
	return u
}

// networkUse reads the probe's figures and judgement.
func (db *DB) networkUse(figures map[string]int64) *NetworkUse {
	p := db.mon.probe
	c := p.counters()
	n := &NetworkUse{Probe: c.Name, RoundTrips: c.RoundTrips, Errors: c.Errors,
		BytesSent: figures["network_bytes_sent"], BytesReceived: figures["network_bytes_received"]}
	if s := p.sink.Load(); s != nil {
		snap := s.a.Snapshot()
		n.PerSecond, n.AvgLatency, n.P95Latency, n.ErrorRate = snap.OpsPerSecond, snap.AvgLatency, snap.P95Latency, snap.ErrorRate
		n.Condition, n.Confidence = snap.Status.Condition, snap.Status.Confidence
	} else {
		n.Condition, n.Confidence = unmonitored.Condition, unmonitored.Confidence
	}
	return n
}

// judgeUse judges a resource by its utilisation; without a known capacity
// there is nothing to judge.
func judgeUse(utilisation float64, known bool, sure serventis.Confidence) (serventis.Condition, serventis.Confidence) {
	if !known {
		return serventis.Stable, serventis.Tentative
	}
	switch {
	case utilisation >= 0.99:
		return serventis.Down, sure
	case utilisation >= 0.95:
		return serventis.Defective, sure
	case utilisation >= 0.80:
		return serventis.Degraded, sure
	}
	return serventis.Stable, sure
}

// statsMaxAge is how old a reading of the backend's Stats may be before it
// is read again: an engine's Stats may scan (pebble counts its keys).
const statsMaxAge = time.Second

// statsTimeout bounds one reading of the backend's Stats.
const statsTimeout = 10 * time.Second

// statsReading is the latest reading of the backend's Stats, with the
// cache layer's hit rate worked out from it.
type statsReading struct {
	st      backend.Stats
	ok      bool // st holds a reading
	cached  bool // the backend has a cache layer
	hitRate float64
}

// statsCache keeps the latest statsReading and reads the backend again,
// in the background or not, when it is too old.
type statsCache struct {
	mu      sync.Mutex
	r       statsReading
	at      int64 // when the backend was last asked, on the monitoring clock
	asked   bool
	running bool // a background reading is under way
	closed  bool // the DB is closing: no more background readings
	hits    int64
	misses  int64
	wg      sync.WaitGroup
}

// get returns the latest reading. If it is older than statsMaxAge it reads
// the backend again: now, waiting, if wait; otherwise in the background,
// returning the old reading meanwhile.
func (c *statsCache) get(db *DB, wait bool) statsReading {
	c.mu.Lock()
	r := c.r
	if c.asked && db.now()-c.at < int64(statsMaxAge) || !wait && (c.running || c.closed) {
		c.mu.Unlock()
		return r
	}
	if !wait {
		c.running = true
		c.wg.Add(1)
		c.mu.Unlock()
		go func() {
			defer c.wg.Done()
			c.note(db, readStats(db), true)
		}()
		return r
	}
	c.mu.Unlock()
	return c.note(db, readStats(db), false)
}

// readStats asks the backend for its Stats.
func readStats(db *DB) statsReading {
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	st, err := db.b.Stats(ctx)
	return statsReading{st: st, ok: err == nil}
}

// note keeps a new reading (a failed one keeps the old figures) and works
// out the cache layer's hit rate since the previous one.
func (c *statsCache) note(db *DB, r statsReading, background bool) statsReading {
	c.mu.Lock()
	defer c.mu.Unlock()
	if background {
		c.running = false
	}
	c.at, c.asked = db.now(), true
	if !r.ok {
		return c.r
	}
	hits, okh := r.st.Figures["cache_hits"]
	misses, okm := r.st.Figures["cache_misses"]
	if okh && okm {
		r.cached, r.hitRate = true, c.r.hitRate
		dh, dm := hits-c.hits, misses-c.misses
		if !c.r.cached || dh < 0 || dm < 0 { // the first reading, or the counters restarted
			dh, dm = hits, misses
		}
		if dh+dm > 0 {
			r.hitRate = float64(dh) / float64(dh+dm)
		}
		c.hits, c.misses = hits, misses
	}
	c.r = r
	return r
}

// wait stops background readings and waits for one under way: the DB
// calls it before closing the backend.
func (c *statsCache) wait() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
}
