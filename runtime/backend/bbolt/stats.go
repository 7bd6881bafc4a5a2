package bbolt

import (
	"context"
	"fmt"
	"os"

	"github.com/synapsed/storegen/runtime/backend"
)

// Stats implements backend.Backend. Keys is exact, from bbolt's bucket
// statistics, which walk every page of the bucket: Stats costs time in
// proportion to the size of the data and is meant for occasional
// reporting. DiskBytes is the space the file takes on disk, which for the
// sparse file bbolt grows is less than its length (file_bytes, in
// Figures). MemoryBytes is 0: bbolt keeps
// no cache of its own, the file is memory-mapped and cached by the
// operating system.
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) {
	if err := ctx.Err(); err != nil {
		return backend.Stats{}, err
	}
	if err := b.gate.Enter(); err != nil {
		return backend.Stats{}, err
	}
	defer b.gate.Exit()
	tx, err := b.db.Begin(false)
	if err != nil {
		return backend.Stats{}, fmt.Errorf("bbolt: stats: %w", err)
	}
	bs := tx.Bucket(b.bucket).Stats()
	dataBytes := tx.Size()
	_ = tx.Rollback()
	info, err := os.Stat(b.path)
	if err != nil {
		return backend.Stats{}, fmt.Errorf("bbolt: stats: %w", err)
	}
	ds := b.db.Stats()
	return backend.Stats{
		Engine:    "bbolt",
		Keys:      int64(bs.KeyN),
		DiskBytes: diskBytes(info),
		Figures: map[string]int64{
			"file_bytes":        info.Size(),
			"data_bytes":        dataBytes,
			"depth":             int64(bs.Depth),
			"branch_pages":      int64(bs.BranchPageN),
			"leaf_pages":        int64(bs.LeafPageN),
			"overflow_pages":    int64(bs.BranchOverflowN + bs.LeafOverflowN),
			"leaf_bytes_used":   int64(bs.LeafInuse),
			"leaf_bytes":        int64(bs.LeafAlloc),
			"free_pages":        int64(ds.FreePageN),
			"pending_pages":     int64(ds.PendingPageN),
			"free_bytes":        int64(ds.FreeAlloc),
			"freelist_bytes":    int64(ds.FreelistInuse),
			"read_txs":          int64(ds.TxN),
			"open_read_txs":     int64(ds.OpenTxN),
			"pages_allocated":   ds.TxStats.GetPageCount(),
			"page_bytes_alloc":  ds.TxStats.GetPageAlloc(),
			"node_splits":       ds.TxStats.GetSplit(),
			"node_spills":       ds.TxStats.GetSpill(),
			"node_rebalances":   ds.TxStats.GetRebalance(),
			"page_writes":       ds.TxStats.GetWrite(),
			"write_nanoseconds": int64(ds.TxStats.GetWriteTime()),
		},
	}, nil
}
