package etcd

import (
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/synapsed/storegen/runtime/backend"
)

// Errors this engine adds to those of package backend. Callers branch on
// them with errors.Is.
var (
	// ErrCompacted is returned by the reads of a View whose revision the
	// cluster has compacted away: the snapshot no longer exists. It wraps
	// backend.ErrCompacted and backend.ErrConflict, so callers that retry
	// conflicts open a new view and retry. Update retries it itself, like
	// a lost race.
	ErrCompacted = fmt.Errorf("etcd: snapshot revision has been compacted (%w): %w", backend.ErrCompacted, backend.ErrConflict)

	// ErrTxnTooLarge is returned by Update when the server refused the
	// commit for exceeding its limits: more operations than its
	// --max-txn-ops (default 128; each commit takes one operation per
	// written key plus one for the Backend's marker) or more bytes than its
	// --max-request-bytes (default 1.5 MiB). Nothing was written; a
	// transaction is never split, since that would break its atomicity.
	ErrTxnTooLarge = errors.New("etcd: transaction exceeds the server's limits")
)

// translate maps the server's errors that callers branch on to this
// package's sentinels, keeping the server's message.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("%w (%v)", ErrCompacted, err)
	case errors.Is(err, rpctypes.ErrTooManyOps), errors.Is(err, rpctypes.ErrRequestTooLarge), tooLarge(err):
		return fmt.Errorf("%w: %w", ErrTxnTooLarge, err)
	}
	return err
}

// tooLarge reports whether gRPC refused a message for its size, which the
// server does before etcd sees a request well beyond --max-request-bytes.
func tooLarge(err error) bool {
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.ResourceExhausted && strings.Contains(s.Message(), "larger than max")
}
