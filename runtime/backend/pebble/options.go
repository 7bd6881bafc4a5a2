package pebble

import (
	pebbledb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultCacheSize is the block cache Open gives a database unless told
// otherwise. Pebble's own default of 8 MiB is mostly taken by the memtable
// reservation, which sends every Get of a flushed key to the file system;
// 64 MiB keeps a working set of a few hundred thousand small values in memory.
const DefaultCacheSize = 64 << 20

// Option changes how Open opens a database.
type Option func(*config)

type config struct {
	sync      bool
	cacheSize int64
	cacheSet  bool
	base      *pebbledb.Options
}

// NoSync makes commits return once the transaction is written to the
// write-ahead log, without waiting for the log to reach the disk. A crash of
// the machine (not of the process) may then lose the last transactions;
// Flush still makes everything committed before it durable.
func NoSync() Option {
	return func(c *config) { c.sync = false }
}

// CacheSize sets the size in bytes of the block cache that serves reads of
// keys already flushed to table files. It overrides the cache settings of
// Options.
func CacheSize(bytes int64) Option {
	return func(c *config) { c.cacheSize, c.cacheSet = bytes, true }
}

// Options opens the database with a copy of o instead of Pebble's defaults,
// for tuning this package does not expose. The block cache is still
// DefaultCacheSize unless o sets Cache or CacheSize, and the sync setting
// still comes from NoSync; with DisableWAL set, commits cannot be synced and
// Flush flushes the memtable instead.
func Options(o *pebbledb.Options) Option {
	return func(c *config) { c.base = o }
}

// pebbleOptions builds what pebble.Open is given; the caller's Options are
// copied, never modified.
func (c *config) pebbleOptions() *pebbledb.Options {
	o := &pebbledb.Options{}
	if c.base != nil {
		o = c.base.Clone()
	}
	if o.Logger == nil && o.LoggerAndTracer == nil {
		o.Logger = quietLogger{pebbledb.DefaultLogger}
	}
	if o.FS == nil && (o.EventListener == nil || o.EventListener.DiskSlow == nil) {
		// Pebble would wrap the file system to time disk operations for a
		// DiskSlow listener there is none of, and when Open fails it leaves
		// that wrapper's goroutine running.
		o.FS = vfs.Default
	}
	switch {
	case c.cacheSet:
		o.Cache, o.CacheSize = nil, c.cacheSize
	case o.Cache == nil && o.CacheSize == 0:
		o.CacheSize = c.cacheSize
	}
	return o
}

// quietLogger is Pebble's default logger without its informational lines
// ("Found 0 WALs" on every open); errors still reach the standard logger.
type quietLogger struct{ pebbledb.Logger }

func (quietLogger) Infof(string, ...any) {}
