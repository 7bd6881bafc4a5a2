// Package backend defines the engine-neutral key-value interface that every
// storegen store persists through, the errors engines report, and the
// portable backup format. Engines live in sub-packages (memory, pebble,
// bbolt, …) so a program links only the ones it uses; the shared conformance
// suite lives in backend/conformance.
//
// The package knows nothing of stores, codecs or events: keys and values are
// opaque byte strings ordered bytewise.
package backend

import (
	"context"
	"errors"
)

// Errors an engine returns. Callers branch on them with errors.Is; engines
// wrap them with context.
var (
	// ErrNotFound is returned by Get when the key has no value. A key whose
	// value is empty is present: Get returns a zero-length slice and nil.
	ErrNotFound = errors.New("backend: key not found")
	// ErrClosed is returned by every method called after Close, and by views
	// and transactions used after their engine was closed.
	ErrClosed = errors.New("backend: closed")
	// ErrConflict is returned by Update when an optimistic engine lost a race
	// with another writer; nothing was written and the caller may retry.
	ErrConflict = errors.New("backend: transaction conflict")
	// ErrReadOnly is returned by Set and Delete on a read-only view.
	ErrReadOnly = errors.New("backend: read-only view")
	// ErrTxDone is returned when a view or transaction is used after it ended.
	ErrTxDone = errors.New("backend: view or transaction already ended")
	// ErrNotEmpty is returned by Restore when the target engine holds data.
	ErrNotEmpty = errors.New("backend: restore target is not empty")
	// ErrCorrupt is returned when a backup stream or stored engine file is
	// damaged or not what it claims to be.
	ErrCorrupt = errors.New("backend: corrupt data")
	// ErrKeyEmpty is returned by Set and Delete for a zero-length key.
	ErrKeyEmpty = errors.New("backend: empty key")
)

// Backend is an ordered key-value engine.
//
// Ownership of byte slices: arguments (keys, values, buffers) are only read
// during the call, so a caller may reuse them as soon as the call returns.
// Get appends the value to the caller's buffer and returns it: the result is
// the caller's to keep. Key and Value of an Iterator are valid only until the
// iterator's next call to Next or Close; copy them to keep them.
//
// All methods are safe for concurrent use.
type Backend interface {
	// Get appends the latest committed value of key to buf and returns the
	// extended slice, or ErrNotFound. It sees every transaction that
	// committed before it was called.
	Get(ctx context.Context, key, buf []byte) ([]byte, error)

	// View opens a consistent read-only snapshot: it sees what had committed
	// when View returned and nothing committed later. The caller must Close
	// it; a view holds engine resources (and, for bbolt, blocks file growth)
	// until then.
	View(ctx context.Context) (View, error)

	// Update runs fn in a serializable read-write transaction and commits it
	// when fn returns nil. If fn returns an error or panics, nothing fn wrote
	// is kept: the error is returned (the panic is re-raised after rollback).
	// Reads through the Txn see its own earlier writes. fn may be called more
	// than once by engines that retry conflicts internally, so it must not
	// have effects outside the transaction. The Txn must not be used after fn
	// returns.
	Update(ctx context.Context, fn func(Txn) error) error

	// Flush makes every committed transaction durable, whatever the
	// engine's sync setting.
	Flush(ctx context.Context) error

	// Stats reports the engine's size and internal figures.
	Stats(ctx context.Context) (Stats, error)

	// Close releases the engine. It waits for running calls to finish
	// (but not for iterators, see Iterator) and ends open views; later
	// calls return ErrClosed. Closing twice returns ErrClosed.
	Close() error
}

// Reader is the read half shared by views and transactions.
type Reader interface {
	// Get appends the value of key to buf, or returns ErrNotFound.
	Get(key, buf []byte) ([]byte, error)
	// Range iterates keys k with lo <= k < hi in ascending order, or
	// descending when reverse is true. A nil lo means from the first key, a
	// nil hi up to and including the last key.
	Range(lo, hi []byte, reverse bool) Iterator
}

// View is a read-only snapshot. Close is idempotent.
type View interface {
	Reader
	Close() error
}

// Txn is a read-write transaction, valid only inside Backend.Update.
type Txn interface {
	Reader
	// Set stores value under key, replacing any previous value. The engine
	// copies both; a nil value stores an empty value.
	Set(key, value []byte) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(key []byte) error
}

// TxnLimiter is implemented by engines whose server bounds one write
// transaction (etcd's --max-txn-ops and --max-request-bytes). Bulk writers
// such as Restore split their work to fit; a Txn that goes beyond the
// limits fails at commit.
type TxnLimiter interface {
	// TxnLimits returns the most keys one Update may write, and the most
	// bytes of keys and values it should carry; 0 means no bound.
	TxnLimits() (keys, bytes int)
}

// TxnLimitsOf returns b's TxnLimits, or none (0, 0) if b is not a
// TxnLimiter. Layers report their inner engine's limits with it.
func TxnLimitsOf(b Backend) (keys, bytes int) {
	if l, ok := b.(TxnLimiter); ok {
		return l.TxnLimits()
	}
	return 0, 0
}

// Iterator walks a key range. It starts before the first entry: call Next
// first. Close is idempotent and must be called.
//
// An iterator is for one goroutine at a time, and its calls must not run
// concurrently with the Close of the View, Txn or Backend it came from:
// engines keep no per-entry synchronisation against that (it would cost as
// much as a step of bbolt's cursor). Ending its owner ends the iterator:
// afterwards Next reports false, Key and Value return nil, and Err and
// Close return why (ErrTxDone, ErrClosed). runtime/store keeps this rule
// for its users: DB.Close waits for running scans.
//
// In a Txn, an iterator sees the transaction's writes made before Range
// was called; whether it sees writes made while it is open is unspecified.
type Iterator interface {
	// Next advances to the next entry and reports whether there is one.
	Next() bool
	// Key returns the current key; valid until the next Next or Close.
	Key() []byte
	// Value returns the current value; valid until the next Next or Close.
	Value() []byte
	// Err reports the error that stopped the iteration, if any.
	Err() error
	// Close releases the iterator and returns Err.
	Close() error
}

// Stats is an engine's view of itself.
type Stats struct {
	// Engine names the engine, for example "pebble".
	Engine string
	// Keys is the number of live keys; engines that can only estimate say
	// so with KeysEstimated.
	Keys          int64
	KeysEstimated bool
	// DiskBytes is the space the engine's files take, 0 for memory engines.
	DiskBytes int64
	// MemoryBytes is the memory the engine holds for data and caches.
	MemoryBytes int64
	// Figures holds engine-specific counters by name (for example
	// "block_cache_hits"). Names are snake_case and stable.
	Figures map[string]int64
}

// Pather is an optional capability of engines that keep their data in
// files: Path returns the directory or file they keep it in, so that
// monitoring can report the space left on its filesystem. Layers that wrap
// an engine (a cache, compression) should implement it when the engine
// they wrap does.
type Pather interface {
	Path() string
}

// DecodedGetter is an optional capability of layers that keep values in
// memory, as the cache layer does: beside a value they can keep what a
// reader decoded from it, so that reading a value that has not changed
// skips decoding it again. The store uses it for records it can copy.
type DecodedGetter interface {
	// GetDecoded returns what d made of the latest committed value of key,
	// or an error matching ErrNotFound. It calls d.Decode only when it
	// holds no result of d for that value, and keeps a result no longer
	// than the value it came from. A result is shared by every caller that
	// passes the same d, so nobody may modify it. An error from d.Decode
	// is returned as it is and not kept.
	GetDecoded(ctx context.Context, key []byte, d *Decoder) (any, error)
}

// Decoder turns stored values into what a DecodedGetter keeps. Its
// identity, not its function, tells results apart: each reader with its
// own way of decoding uses its own Decoder.
type Decoder struct {
	// Decode returns the decoded form of val. It must not keep val.
	Decode func(val []byte) (any, error)
}

// PrefixEnd returns the smallest key greater than every key that starts
// with prefix, for use as the hi bound of Range. It returns nil (no upper
// bound) when prefix is empty or all 0xFF bytes.
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xFF {
			end := make([]byte, i+1)
			copy(end, prefix)
			end[i]++
			return end
		}
	}
	return nil
}

// Prefix iterates every key starting with prefix.
func Prefix(r Reader, prefix []byte, reverse bool) Iterator {
	return r.Range(prefix, PrefixEnd(prefix), reverse)
}
