package store

import (
	"context"

	"github.com/synapsed/storegen/runtime/backend"
)

// Tx is a transaction handed to the function given to DB.Update or DB.View.
// Generated stores bind to it with In(tx). A Tx must not be used after that
// function returns, nor from several goroutines at once.
type Tx struct {
	db   *DB
	ctx  context.Context
	r    backend.Reader
	w    backend.Txn // nil in a View
	id   uint64
	done bool
	// failed records that the function given to Update returned an
	// error, so that Update can tell it from the engine's.
	failed bool
	st     *txState // nil once the transaction ended
}

// ID returns the transaction's id, unique per DB; 0 for read-only ones.
func (tx *Tx) ID() uint64 { return tx.id }

// Writable reports whether tx may write (it came from DB.Update).
func (tx *Tx) Writable() bool { return tx.w != nil }

// Context returns the context the transaction was started with.
func (tx *Tx) Context() context.Context { return tx.ctx }

// DB returns the DB the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// end marks tx as finished and returns its reusable state to the pool.
func (tx *Tx) end() {
	tx.done = true
	if tx.st != nil {
		tx.st.reset()
		tx.db.txStates.Put(tx.st)
		tx.st = nil
	}
}

// reader returns the transaction's reader, or an error once it ended.
func (tx *Tx) reader() (backend.Reader, error) {
	if tx.done {
		return nil, ErrTxDone
	}
	return tx.r, nil
}

// writer returns the transaction's writer, or an error in a View or once
// the transaction ended.
func (tx *Tx) writer() (backend.Txn, error) {
	if tx.done {
		return nil, ErrTxDone
	}
	if tx.w == nil {
		return nil, ErrReadOnly
	}
	return tx.w, nil
}
