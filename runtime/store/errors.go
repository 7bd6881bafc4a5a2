package store

import (
	"errors"

	"github.com/synapsed/storegen/runtime/backend"
)

// Errors callers branch on with errors.Is. Returned errors wrap them with
// the store, operation and key (redacted when the key is sensitive).
var (
	// ErrNotFound: no record has the key (or unique index value) asked for.
	ErrNotFound = errors.New("storegen: not found")
	// ErrExists: Insert found a record with the same key.
	ErrExists = errors.New("storegen: already exists")
	// ErrConflict: a unique index already holds the value for another
	// record, or an optimistic backend lost a race with another writer.
	// Nothing was written.
	ErrConflict = errors.New("storegen: conflict")
	// ErrCorrupt: a stored value or index entry cannot be decoded.
	ErrCorrupt = errors.New("storegen: corrupt stored data")
	// ErrClosed: the DB (or its backend) was closed.
	ErrClosed = errors.New("storegen: closed")
	// ErrTxDone: a Tx was used after its Update or View returned.
	ErrTxDone = errors.New("storegen: transaction already ended")
	// ErrReadOnly: a write was attempted in a View transaction.
	ErrReadOnly = errors.New("storegen: write in a read-only transaction")
	// ErrKeyspace: two stores opened on one DB claim the same keyspace name.
	ErrKeyspace = errors.New("storegen: keyspace already registered")
	// ErrUnknownStore: DB.WatchJSON was given the name of no store opened
	// on the DB.
	ErrUnknownStore = errors.New("storegen: no such store")
)

// OpError describes a failed store operation: which store, which operation
// and which key. Key is already redacted when the store's key is sensitive.
type OpError struct {
	Store string
	Op    string
	Key   string
	Err   error
}

func (e *OpError) Error() string {
	s := e.Store + "." + e.Op
	if e.Key != "" {
		s += " " + e.Key
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// mapBackendErr turns a backend error into the store's vocabulary where they
// mean the same thing, keeping the original in the chain.
func mapBackendErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, backend.ErrClosed) && !errors.Is(err, ErrClosed):
		return &wrapped{sentinel: ErrClosed, err: err}
	case errors.Is(err, backend.ErrConflict) && !errors.Is(err, ErrConflict):
		return &wrapped{sentinel: ErrConflict, err: err}
	}
	return err
}

// wrapped is an error that matches sentinel as well as everything err
// matches.
type wrapped struct {
	sentinel error
	err      error
}

func (w *wrapped) Error() string   { return w.err.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.sentinel, w.err} }
