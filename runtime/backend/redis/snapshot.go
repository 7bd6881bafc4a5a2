package redis

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/synapsed/storegen/runtime/backend"
)

// batchBudget bounds the bytes of keys and values one source of a range
// read returns, so a range over large values is fetched a few at a time.
const batchBudget = 4 << 20

// snapshot reads the data as it was after commit number at. While no later
// commit happened, that is the current data and reads cost what plain reads
// cost; after, the scripts undo the later commits for the keys they read.
type snapshot struct {
	b  *Backend
	at int64
}

// gone is the error of a read whose snapshot can no longer be rebuilt.
func (s snapshot) gone() error {
	return fmt.Errorf("redis: %w: the snapshot at commit %d is gone: the values later commits replaced are kept for %v",
		backend.ErrConflict, s.at, s.b.retention)
}

// get appends the value key had at the snapshot to buf.
func (s snapshot) get(ctx context.Context, key, buf []byte) ([]byte, error) {
	start := s.b.now()
	reply, err := getScript.RunRO(ctx, s.b.client, nil, s.b.root, s.at, key).Slice()
	s.b.roundTrip(start, err)
	if err != nil {
		return nil, s.b.fail(ctx, "get", err)
	}
	var code int64 = replyGone
	if len(reply) > 0 {
		code, _ = reply[0].(int64)
	}
	switch {
	case code == replyGone:
		return nil, s.gone()
	case code == replyMissing:
		return nil, backend.ErrNotFound
	case len(reply) != 2:
		return nil, fmt.Errorf("redis: get on %s: unexpected reply %v", s.b.name, reply)
	}
	v, _ := reply[1].(string)
	if code == replyUndo {
		if v == "" || v[0] == '0' {
			return nil, backend.ErrNotFound
		}
		v = v[1:]
	}
	if buf == nil && v == "" {
		buf = []byte{} // present but empty: not nil
	}
	return append(buf, v...), nil
}

// entry is a key and its value. Entries a scanner returns share one
// allocation per batch and are never written again.
type entry struct{ key, value []byte }

// scanner streams the entries of [lo, hi) at a snapshot, a batch per round
// trip. Batches start small, for the many ranges of which only the first
// few keys are read, and double up to the Backend's batch limit.
type scanner struct {
	snap    snapshot
	ctx     context.Context
	lo, hi  []byte
	reverse bool

	limit int
	// after is the key up to which the batches so far resolved the range:
	// the next batch starts past it. It is nil before the first batch.
	after []byte
	// exhausted is set once a batch reached the end of the range.
	exhausted bool
	batch     []entry
}

func newScanner(snap snapshot, ctx context.Context, lo, hi []byte, reverse bool) *scanner {
	// The caller may reuse the bounds after Range returns.
	return &scanner{snap: snap, ctx: ctx, lo: bytes.Clone(lo), hi: bytes.Clone(hi), reverse: reverse, limit: snap.b.firstBatch}
}

// next returns the next entry, fetching a batch when needed; ok is false at
// the end of the range.
func (s *scanner) next() (e entry, ok bool, err error) {
	for len(s.batch) == 0 {
		if s.exhausted {
			return entry{}, false, nil
		}
		if err := s.fetch(); err != nil {
			return entry{}, false, err
		}
	}
	e, s.batch = s.batch[0], s.batch[1:]
	return e, true, nil
}

// bounds returns the ZRANGEBYLEX min and max of the rest of the range.
func (s *scanner) bounds() (lexMin, lexMax string) {
	lexMin, lexMax = "-", "+"
	if s.lo != nil {
		lexMin = "[" + string(s.lo)
	}
	if s.hi != nil {
		lexMax = "(" + string(s.hi)
	}
	if s.after != nil {
		if s.reverse {
			lexMax = "(" + string(s.after)
		} else {
			lexMin = "(" + string(s.after)
		}
	}
	return lexMin, lexMax
}

// source is one list the range script returned: keys in scan order, their
// values, and whether the list may go on past its last key.
type source struct {
	keys, values []any
	more         bool
}

// fetch reads the next batch. When later commits changed the data, the
// batch is rebuilt from the current entries and the undo logs: every list
// is complete up to the earliest last key of a list that may go on, so the
// batch ends there and the next one starts after it.
func (s *scanner) fetch() error {
	lexMin, lexMax := s.bounds()
	rev := "0"
	if s.reverse {
		rev = "1"
	}
	b := s.snap.b
	start := b.now()
	reply, err := rangeScript.RunRO(s.ctx, b.client, nil, b.root, s.snap.at, lexMin, lexMax, rev, s.limit, batchBudget).Slice()
	b.roundTrip(start, err)
	if err != nil {
		return b.fail(s.ctx, "range", err)
	}
	if len(reply) == 0 {
		return fmt.Errorf("redis: range on %s: empty reply", b.name)
	}
	if code, _ := reply[0].(int64); code == replyGone {
		return s.snap.gone()
	}
	s.limit = min(2*s.limit, b.maxBatch)
	sources := make([]source, len(reply)-1)
	for i, r := range reply[1:] {
		list, _ := r.([]any)
		if len(list) != 3 {
			return fmt.Errorf("redis: range on %s: unexpected reply %v", b.name, r)
		}
		src := &sources[i]
		src.keys, _ = list[0].([]any)
		src.values, _ = list[1].([]any)
		more, _ := list[2].(int64)
		src.more = more == 1
		if len(src.keys) != len(src.values) {
			return fmt.Errorf("redis: range on %s: %d keys but %d values", b.name, len(src.keys), len(src.values))
		}
	}

	// end is the last key the batch can vouch for, if bounded; unbounded,
	// every list reached the end of the range.
	var end string
	bounded := false
	for _, src := range sources {
		if !src.more || len(src.keys) == 0 {
			continue
		}
		last, _ := src.keys[len(src.keys)-1].(string)
		if !bounded || s.before(last, end) {
			end, bounded = last, true
		}
	}
	within := func(k string) bool { return !bounded || !s.before(end, k) }

	type pending struct{ key, value string }
	var entries []pending
	if len(sources) == 1 {
		// No commit since the snapshot: the current data is the snapshot.
		for i, k := range sources[0].keys {
			key, _ := k.(string)
			value, _ := sources[0].values[i].(string)
			entries = append(entries, pending{key, value})
		}
	} else {
		// The first later commit that touched a key holds its value at
		// the snapshot; keys no later commit touched are as they are now.
		old := make(map[string]string)
		for _, src := range sources[1:] {
			for i, k := range src.keys {
				key, _ := k.(string)
				if _, seen := old[key]; !seen && within(key) {
					old[key], _ = src.values[i].(string)
				}
			}
		}
		for i, k := range sources[0].keys {
			key, _ := k.(string)
			if _, changed := old[key]; !changed && within(key) {
				value, _ := sources[0].values[i].(string)
				entries = append(entries, pending{key, value})
			}
		}
		for key, enc := range old {
			if enc != "" && enc[0] == '1' {
				entries = append(entries, pending{key, enc[1:]})
			}
		}
		slices.SortFunc(entries, func(x, y pending) int {
			// Redis orders the members of a sorted set by lex bytewise, as
			// Go compares strings.
			if s.reverse {
				return strings.Compare(y.key, x.key)
			}
			return strings.Compare(x.key, y.key)
		})
	}

	// Copy the batch into one allocation; entries are never written again.
	size := 0
	for _, e := range entries {
		size += len(e.key) + len(e.value)
	}
	slab := make([]byte, 0, size)
	s.batch = make([]entry, len(entries))
	for i, e := range entries {
		n := len(slab)
		slab = append(slab, e.key...)
		slab = append(slab, e.value...)
		k, v := n+len(e.key), len(slab)
		s.batch[i] = entry{key: slab[n:k:k], value: slab[k:v:v]}
	}
	if bounded {
		s.after = []byte(end)
	} else {
		s.exhausted = true
	}
	return nil
}

// before reports whether key a comes before key b in the scan's order.
func (s *scanner) before(a, b string) bool {
	if s.reverse {
		return a > b
	}
	return a < b
}
