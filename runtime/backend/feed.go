package backend

import (
	"context"
	"errors"
	"iter"
)

// ErrCompacted is returned, wrapped, by a Feed asked for changes it no
// longer keeps: the engine compacted its history past them. The changes in
// between are lost to that reader; it must resynchronise from a fresh
// snapshot (ViewAt the current Revision) instead.
var ErrCompacted = errors.New("backend: change history compacted")

// Feed is implemented by engines that other processes share and write to
// (etcd): it streams every committed change to the engine's keys, whoever
// made it, in commit order. A reader that follows a Feed sees the same
// history on every process, which is how several DBs on one cluster each
// see the others' writes.
//
// Revisions number the engine's commits; they increase, not necessarily by
// one, and every change of one commit has its revision.
type Feed interface {
	// Revision returns the revision of the last commit, as of the call.
	Revision(ctx context.Context) (int64, error)
	// ViewAt opens a view of the data as of revision rev, which must not
	// be later than Revision. Its reads fail with an error wrapping
	// ErrCompacted once the engine no longer keeps rev.
	ViewAt(ctx context.Context, rev int64) (View, error)
	// Changes yields the commits after revision after, one ChangeSet per
	// commit, in order, until ctx ends or an error occurs; the error is
	// yielded last (ctx's error, ErrClosed, or one wrapping ErrCompacted
	// when after is older than the history the engine keeps). A lost
	// connection is not an error: Changes resumes from the last commit it
	// yielded, so none is missed or repeated.
	Changes(ctx context.Context, after int64) iter.Seq2[ChangeSet, error]
}

// ChangeSet is one commit seen through a Feed.
type ChangeSet struct {
	// Rev is the commit's revision.
	Rev int64
	// Changes are the keys the commit wrote, in the engine's order. Their
	// slices are the caller's to keep.
	Changes []Change
}

// Change is one key written by a commit.
type Change struct {
	Key []byte
	// Value is the new value; nil when Deleted.
	Value []byte
	// Prev is the value before the commit, nil if the key was missing.
	Prev []byte
	// Deleted reports a deletion.
	Deleted bool
}
