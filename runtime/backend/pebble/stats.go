package pebble

import (
	"context"
	"fmt"

	"github.com/synapsed/storegen/runtime/backend"
)

// Stats implements backend.Backend. Keys is exact: it is counted by a scan
// of a snapshot, so Stats costs time in proportion to the number of keys
// (tens of milliseconds per million keys with a warm cache) and is meant
// for occasional reporting, not for every request. The other figures come
// from Pebble's metrics and cost nothing to gather.
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) {
	if err := ctx.Err(); err != nil {
		return backend.Stats{}, err
	}
	if err := b.gate.Enter(); err != nil {
		return backend.Stats{}, err
	}
	defer b.gate.Exit()
	keys, err := b.countKeys(ctx)
	if err != nil {
		return backend.Stats{}, err
	}
	m := b.db.Metrics()
	total := m.Total()
	return backend.Stats{
		Engine:      "pebble",
		Keys:        keys,
		DiskBytes:   int64(m.DiskSpaceUsage()),
		MemoryBytes: m.BlockCache.Size + int64(m.MemTable.Size),
		Figures: map[string]int64{
			"block_cache_bytes":     m.BlockCache.Size,
			"block_cache_blocks":    m.BlockCache.Count,
			"block_cache_hits":      m.BlockCache.Hits,
			"block_cache_misses":    m.BlockCache.Misses,
			"memtable_bytes":        int64(m.MemTable.Size),
			"memtables":             m.MemTable.Count,
			"flushes":               m.Flush.Count,
			"compactions":           m.Compact.Count,
			"compactions_running":   m.Compact.NumInProgress,
			"compaction_debt_bytes": int64(m.Compact.EstimatedDebt),
			"tables":                total.TablesCount,
			"table_bytes":           total.TablesSize,
			"l0_tables":             m.Levels[0].TablesCount,
			"read_amplification":    int64(m.ReadAmp()),
			"wal_bytes":             int64(m.WAL.Size),
			"snapshots":             int64(m.Snapshots.Count),
			"table_iterators":       m.TableIters,
		},
	}, nil
}

// countKeys scans every key of the current state; ctx is checked every
// few thousand keys so a long count can be abandoned.
func (b *Backend) countKeys(ctx context.Context) (int64, error) {
	it, err := b.db.NewIter(nil)
	if err != nil {
		return 0, fmt.Errorf("pebble: stats: %w", err)
	}
	var n int64
	for ok := it.First(); ok; ok = it.Next() {
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				_ = it.Close()
				return 0, err
			}
		}
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("pebble: stats: %w", err)
	}
	return n, nil
}
