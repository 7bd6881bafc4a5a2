package sqlite

import (
	"context"
	"errors"
	"os"

	"github.com/synapsed/storegen/runtime/backend"
)

// statsSQL reads the key count and the page figures in one statement, so
// they describe one snapshot.
const statsSQL = `SELECT
	(SELECT count(*) FROM kv),
	(SELECT page_count FROM pragma_page_count()),
	(SELECT page_size FROM pragma_page_size()),
	(SELECT freelist_count FROM pragma_freelist_count())`

// Stats implements backend.Backend. Keys is exact: SQLite counts the rows
// by walking the table, so Stats costs time in proportion to the number of
// keys and is meant for occasional reporting. DiskBytes is the size of the
// database file with its -wal and -shm files. MemoryBytes is 0: SQLite's
// page cache is not reported per database.
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) {
	if err := ctx.Err(); err != nil {
		return backend.Stats{}, err
	}
	if err := b.gate.Enter(); err != nil {
		return backend.Stats{}, err
	}
	defer b.gate.Exit()
	var keys, pages, pageSize, free int64
	if err := b.read.QueryRowContext(ctx, statsSQL).Scan(&keys, &pages, &pageSize, &free); err != nil {
		if ctx.Err() != nil {
			return backend.Stats{}, ctx.Err()
		}
		return backend.Stats{}, b.wrap("stats", err)
	}
	sizes := make(map[string]int64, 3)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		info, err := os.Stat(b.file + suffix)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return backend.Stats{}, b.wrap("stats", err)
		default:
			sizes[suffix] = info.Size()
		}
	}
	views := b.views.Len()
	return backend.Stats{
		Engine:    "sqlite",
		Keys:      keys,
		DiskBytes: sizes[""] + sizes["-wal"] + sizes["-shm"],
		Figures: map[string]int64{
			"page_count":     pages,
			"page_size":      pageSize,
			"freelist_count": free,
			"file_bytes":     sizes[""],
			"wal_bytes":      sizes["-wal"],
			"shm_bytes":      sizes["-shm"],
			"views":          int64(views),
		},
	}, nil
}
