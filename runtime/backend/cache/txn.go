package cache

import "github.com/synapsed/storegen/runtime/backend"

// txn records what a transaction writes, so that Update can remove the
// keys from the cache before the commit and put the new values in after
// it; reads go straight to the inner transaction.
type txn struct {
	backend.Txn
	b      *Backend
	keys   []byte  // the written keys, concatenated
	writes []write // in the order they were made
}

// write is one Set or Delete of a txn.
type write struct {
	end   int // where the key ends in txn.keys
	shard int
	// e is what the key holds after the write. It is kept (a copy of the
	// value, or absence under CacheMissing) only if the key had an entry
	// when written: the value is copied only when it is likely to be used.
	e    entry
	kept bool
	// dropped is set by shard.begin when it removed the key's entry.
	dropped bool
}

func (t *txn) Set(key, value []byte) error {
	if err := t.Txn.Set(key, value); err != nil {
		return err
	}
	i := t.b.shardIndex(key)
	w := write{shard: i}
	if t.b.shards[i].holds(key) {
		// The cache's own copy, since the caller may reuse value; never
		// nil, since the key is present.
		w.e, w.kept = entry{value: append([]byte{}, value...), found: true}, true
	}
	t.record(key, w)
	return nil
}

func (t *txn) Delete(key []byte) error {
	if err := t.Txn.Delete(key); err != nil {
		return err
	}
	i := t.b.shardIndex(key)
	t.record(key, write{shard: i, kept: t.b.missing && t.b.shards[i].holds(key)})
	return nil
}

// record copies key, since the caller may reuse it.
func (t *txn) record(key []byte, w write) {
	t.keys = append(t.keys, key...)
	w.end = len(t.keys)
	t.writes = append(t.writes, w)
}

// key returns the key of the j-th write.
func (t *txn) key(j int) []byte {
	start := 0
	if j > 0 {
		start = t.writes[j-1].end
	}
	return t.keys[start:t.writes[j].end:t.writes[j].end]
}
