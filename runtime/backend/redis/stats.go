package redis

import (
	"bufio"
	"context"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/synapsed/storegen/runtime/backend"
)

// Stats implements backend.Backend with one pipelined round trip. Keys is
// exact (ZCARD). MemoryBytes is the server's estimate, by MEMORY USAGE with
// its default sampling, of the hash of values and the sorted set of keys;
// the undo logs are not counted. DiskBytes is 0: whether and where the
// server persists is its own configuration.
func (b *Backend) Stats(ctx context.Context) (backend.Stats, error) {
	if err := ctx.Err(); err != nil {
		return backend.Stats{}, err
	}
	if err := b.gate.Enter(); err != nil {
		return backend.Stats{}, err
	}
	defer b.gate.Exit()
	var (
		keys    *goredis.IntCmd
		version *goredis.StringCmd
		dataMem *goredis.IntCmd
		keysMem *goredis.IntCmd
		info    *goredis.StringCmd
	)
	start := b.now()
	_, err := b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		keys = p.ZCard(ctx, b.root+"keys")
		version = p.Get(ctx, b.root+"version")
		dataMem = p.MemoryUsage(ctx, b.data)
		keysMem = p.MemoryUsage(ctx, b.root+"keys")
		info = p.Info(ctx, "memory")
		return nil
	})
	b.roundTrip(start, err)
	if err != nil && err != goredis.Nil {
		return backend.Stats{}, b.fail(ctx, "stats", err)
	}
	// Missing keys (an empty prefix) read as 0.
	commits, _ := version.Int64()
	st := backend.Stats{
		Engine:      "redis",
		Keys:        keys.Val(),
		MemoryBytes: dataMem.Val() + keysMem.Val(),
		Figures: map[string]int64{
			"commits":             commits,
			"data_memory_bytes":   dataMem.Val(),
			"index_memory_bytes":  keysMem.Val(),
			"server_memory_bytes": infoField(info.Val(), "used_memory"),
		},
	}
	return st, nil
}

// infoField returns the integer field name of an INFO reply, or 0.
func infoField(info, name string) int64 {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
