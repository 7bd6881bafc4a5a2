// Package metrics exports a storegen DB's monitoring to Prometheus and
// serves it over HTTP behind bearer tokens: /metrics, a JSON /status, and
// /events, a Server-Sent Events stream of a store's changes with sensitive
// fields redacted.
//
// It is the only package of storegen that links client_golang, so that a
// program that exports nothing does not. It reads what the store runtime
// already counts (store.DB.Counters, Performance, Resources) when scraped;
// it adds nothing to any operation's path.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/store"
)

// collector is the prometheus.Collector of a DB. Every metric carries the
// DB's name as the label db; the others are store names and fixed words.
type collector struct {
	db *store.DB

	storeOps, storeErrors, storeRejections, storeDiscards *prometheus.Desc
	storeDuration                                         *prometheus.Desc
	storeCondition, storeConfidence                       *prometheus.Desc
	subscribers, lag, dropped                             *prometheus.Desc

	dbOps, dbErrors, dbDiscards, dbDuration *prometheus.Desc
	retries, commitWaits, commitTimeouts    *prometheus.Desc
	streamDropped, situation                *prometheus.Desc

	backendCondition, backendConfidence *prometheus.Desc
	keys, diskBytes, memoryBytes        *prometheus.Desc
	figure                              *prometheus.Desc

	used, capacity, utilisation, resourceCondition *prometheus.Desc

	roundTrips, roundTripErrors, roundTripDuration, networkCondition *prometheus.Desc
}

// NewCollector returns a prometheus.Collector of db's monitoring, for a
// registry of the caller's. Collecting reads db's counters (no operation
// waits for it) and its Resources, which read the backend's Stats at most
// once a second. The metrics are named storegen_*:
//
//	storegen_store_operations_total{store,operation}          operations begun
//	storegen_store_errors_total{store,operation}              of which failed
//	storegen_store_rejections_total{store,operation}          declined (key exists, unique value taken)
//	storegen_store_discards_total{store,operation}            given up by the caller
//	storegen_store_operation_duration_seconds{store,operation} histogram, from the timed sample
//	storegen_store_condition{store,condition}                 1 for the store's condition, 0 for the others
//	storegen_store_confidence{store,confidence}               likewise
//	storegen_store_subscribers{store}                         open Watch subscriptions
//	storegen_store_subscriber_lag_events{store}               events waiting in their buffers
//	storegen_store_subscriber_dropped_events_total{store}     events their overflow policy dropped
//	storegen_db_operations_total{operation}                   update, view, flush; and errors, discards, durations
//	storegen_db_retries_total, storegen_db_commit_waits_total, storegen_db_commit_timeouts_total
//	storegen_db_stream_dropped_events_total{stream}           ops, transactions
//	storegen_db_situation{situation}                          NORMAL, WARNING, CRITICAL
//	storegen_backend_condition{condition}, storegen_backend_confidence{confidence}
//	storegen_backend_keys, storegen_backend_disk_bytes, storegen_backend_memory_bytes
//	storegen_backend_figure{figure}                           the engine's Stats figures
//	storegen_resource_used_bytes{resource}                    memory, disk; and capacity, utilisation, condition
//	storegen_network_round_trips_total{probe}                 with a store.Probe; and errors, durations, condition
//
// Operations never called are left out until they are.
func NewCollector(db *store.DB) prometheus.Collector {
	constant := prometheus.Labels{"db": db.Name()}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("storegen_"+name, help, labels, constant)
	}
	return &collector{
		db:              db,
		storeOps:        desc("store_operations_total", "Operations begun on a store.", "store", "operation"),
		storeErrors:     desc("store_errors_total", "Store operations that failed, deadlines passed included.", "store", "operation"),
		storeRejections: desc("store_rejections_total", "Store operations declined for what they asked: a key that exists, a unique value taken.", "store", "operation"),
		storeDiscards:   desc("store_discards_total", "Store operations their caller gave up.", "store", "operation"),
		storeDuration:   desc("store_operation_duration_seconds", "Duration of store operations, estimated from a sample at high rates.", "store", "operation"),
		storeCondition:  desc("store_condition", "The store's assessed condition: 1 for the current one.", "store", "condition"),
		storeConfidence: desc("store_confidence", "The confidence in the store's condition: 1 for the current one.", "store", "confidence"),
		subscribers:     desc("store_subscribers", "Open subscriptions to a store's changes.", "store"),
		lag:             desc("store_subscriber_lag_events", "Events waiting in the buffers of a store's subscriptions.", "store"),
		dropped:         desc("store_subscriber_dropped_events_total", "Events a store's subscriptions dropped on overflow.", "store"),

		dbOps:          desc("db_operations_total", "Transactions and flushes begun on the DB.", "operation"),
		dbErrors:       desc("db_errors_total", "DB operations that failed.", "operation"),
		dbDiscards:     desc("db_discards_total", "DB operations rolled back or given up by their caller.", "operation"),
		dbDuration:     desc("db_operation_duration_seconds", "Duration of DB operations, their callers' functions included.", "operation"),
		retries:        desc("db_retries_total", "Transactions the engine ran again after a conflict."),
		commitWaits:    desc("db_commit_waits_total", "Write transactions that waited for another's commit."),
		commitTimeouts: desc("db_commit_timeouts_total", "Write transactions whose context ended while waiting to commit."),
		streamDropped:  desc("db_stream_dropped_events_total", "Events dropped by subscriptions to the DB's operation and transaction streams.", "stream"),
		situation:      desc("db_situation", "The DB's situation: 1 for the current one.", "situation"),

		backendCondition:  desc("backend_condition", "The backend's assessed condition: 1 for the current one.", "condition"),
		backendConfidence: desc("backend_confidence", "The confidence in the backend's condition: 1 for the current one.", "confidence"),
		keys:              desc("backend_keys", "Live keys in the backend, all stores and indexes together."),
		diskBytes:         desc("backend_disk_bytes", "Space the backend's files take."),
		memoryBytes:       desc("backend_memory_bytes", "Memory the backend holds for data and caches."),
		figure:            desc("backend_figure", "An engine-specific figure of the backend's Stats.", "figure"),

		used:              desc("resource_used_bytes", "Bytes of a resource in use: the process's memory, the backend's files.", "resource"),
		capacity:          desc("resource_capacity_bytes", "Bytes of a resource in all; 0 when unknown.", "resource"),
		utilisation:       desc("resource_utilisation_ratio", "Share of a resource in use, from 0 to 1.", "resource"),
		resourceCondition: desc("resource_condition", "A resource's assessed condition: 1 for the current one.", "resource", "condition"),

		roundTrips:        desc("network_round_trips_total", "Round trips of a remote backend to its server.", "probe"),
		roundTripErrors:   desc("network_errors_total", "Round trips that failed.", "probe"),
		roundTripDuration: desc("network_round_trip_duration_seconds", "Duration of round trips.", "probe"),
		networkCondition:  desc("network_condition", "The network's assessed condition: 1 for the current one.", "probe", "condition"),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.storeOps, c.storeErrors, c.storeRejections, c.storeDiscards, c.storeDuration,
		c.storeCondition, c.storeConfidence, c.subscribers, c.lag, c.dropped,
		c.dbOps, c.dbErrors, c.dbDiscards, c.dbDuration, c.retries, c.commitWaits, c.commitTimeouts,
		c.streamDropped, c.situation, c.backendCondition, c.backendConfidence,
		c.keys, c.diskBytes, c.memoryBytes, c.figure,
		c.used, c.capacity, c.utilisation, c.resourceCondition,
		c.roundTrips, c.roundTripErrors, c.roundTripDuration, c.networkCondition,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	counters := c.db.Counters()
	for _, s := range counters.Stores {
		for _, op := range s.Ops {
			counter(ch, c.storeOps, op.Calls, s.Name, op.Op)
			counter(ch, c.storeErrors, op.Errors, s.Name, op.Op)
			counter(ch, c.storeRejections, op.Rejections, s.Name, op.Op)
			counter(ch, c.storeDiscards, op.Discards, s.Name, op.Op)
			histogram(ch, c.storeDuration, op.Latency, s.Name, op.Op)
		}
		status(ch, c.storeCondition, c.storeConfidence, s.Status, s.Name)
		gauge(ch, c.subscribers, float64(s.Subscribers), s.Name)
		gauge(ch, c.lag, float64(s.Lag), s.Name)
		counter(ch, c.dropped, s.Dropped, s.Name)
	}
	for _, op := range counters.Ops {
		counter(ch, c.dbOps, op.Calls, op.Op)
		counter(ch, c.dbErrors, op.Errors, op.Op)
		counter(ch, c.dbDiscards, op.Discards, op.Op)
		histogram(ch, c.dbDuration, op.Latency, op.Op)
	}
	counter(ch, c.retries, counters.Retries)
	counter(ch, c.commitWaits, counters.CommitWaits)
	counter(ch, c.commitTimeouts, counters.CommitTimeouts)
	counter(ch, c.streamDropped, counters.OpsDropped, "ops")
	counter(ch, c.streamDropped, counters.TxDropped, "transactions")
	situation := c.db.Situation()
	for s := serventis.Normal; s <= serventis.Critical; s++ {
		gauge(ch, c.situation, one(s == situation), s.String())
	}
	status(ch, c.backendCondition, c.backendConfidence, c.db.Status())

	res := c.db.Resources()
	if b := res.Backend; b.Available {
		gauge(ch, c.keys, float64(b.Keys))
		gauge(ch, c.diskBytes, float64(b.DiskBytes))
		gauge(ch, c.memoryBytes, float64(b.MemoryBytes))
		for name, v := range b.Figures {
			gauge(ch, c.figure, float64(v), name)
		}
	}
	for _, r := range []struct {
		name string
		use  store.ResourceUse
	}{{"memory", res.Memory}, {"disk", res.Disk}} {
		gauge(ch, c.used, float64(r.use.Used), r.name)
		gauge(ch, c.capacity, float64(r.use.Capacity), r.name)
		gauge(ch, c.utilisation, r.use.Utilisation, r.name)
		for cond := serventis.Converging; cond <= serventis.Down; cond++ {
			gauge(ch, c.resourceCondition, one(cond == r.use.Condition), r.name, cond.String())
		}
	}
	if p := counters.Probe; p.Name != "" {
		counter(ch, c.roundTrips, p.RoundTrips, p.Name)
		counter(ch, c.roundTripErrors, p.Errors, p.Name)
		histogram(ch, c.roundTripDuration, p.Latency, p.Name)
		for cond := serventis.Converging; cond <= serventis.Down; cond++ {
			gauge(ch, c.networkCondition, one(cond == p.Status.Condition), p.Name, cond.String())
		}
	}
}

// status emits s as two enum-style gauge families: a series per condition
// and per confidence, 1 for s's and 0 for the others, so that queries can
// select by name.
func status(ch chan<- prometheus.Metric, condition, confidence *prometheus.Desc, s serventis.Status, labels ...string) {
	for c := serventis.Converging; c <= serventis.Down; c++ {
		gauge(ch, condition, one(c == s.Condition), append(labels, c.String())...)
	}
	for c := serventis.Tentative; c <= serventis.Confirmed; c++ {
		gauge(ch, confidence, one(c == s.Confidence), append(labels, c.String())...)
	}
}

func one(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// histogram emits l with store.LatencyBounds as its buckets, in seconds.
func histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, l store.LatencyCounts, labels ...string) {
	buckets := make(map[float64]uint64, len(store.LatencyBounds))
	var cumulative uint64
	for i, bound := range store.LatencyBounds {
		cumulative += l.Buckets[i]
		buckets[bound.Seconds()] = cumulative
	}
	ch <- prometheus.MustNewConstHistogram(d, l.Count, l.Sum.Seconds(), buckets, labels...)
}
