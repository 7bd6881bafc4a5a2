package conformance

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// backupData is what the backup tests store: binary keys, empty values, a
// large value, and enough keys that Restore needs several transactions.
func backupData() []entry {
	data := []entry{
		{"\x00", "zero"}, {"\x00\xff", ""}, {"big", string(randomBytes(5, 1<<20))},
		{"empty", ""}, {"\xff", "high"}, {"\xff\xff", "higher"},
	}
	for i := range 2500 {
		data = append(data, entry{fmt.Sprintf("n/%05d", i), fmt.Sprintf("value %d", i)})
	}
	sortEntries(data)
	return data
}

// backup returns b's backup stream.
func backup(t *testing.T, b backend.Backend) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, backend.Backup(t.Context(), b, &buf))
	return buf.Bytes()
}

// testBackupRestore checks that Restore into a fresh engine reproduces what
// was backed up, that a backup is deterministic, and that an empty engine
// round-trips too.
func (s *suite) testBackupRestore(t *testing.T) {
	data := backupData()
	src := s.fresh(t)
	put(t, src, data...)
	stream := backup(t, src)
	assert.Equal(t, stream, backup(t, src), "two backups of the same data differ")

	dst := s.fresh(t)
	require.NoError(t, backend.Restore(t.Context(), dst, bytes.NewReader(stream)))
	assertEntries(t, data, contents(t, dst), "restored contents")
	v, err := dst.Get(t.Context(), []byte("empty"), nil)
	require.NoError(t, err, "an empty value must be restored as present")
	assert.Empty(t, v)
	assert.Equal(t, stream, backup(t, dst), "a backup of the restored engine differs")

	empty := backup(t, s.fresh(t))
	again := s.fresh(t)
	require.NoError(t, backend.Restore(t.Context(), again, bytes.NewReader(empty)))
	assertEntries(t, nil, contents(t, again), "an empty backup restored data")
	require.NoError(t, backend.Restore(t.Context(), again, bytes.NewReader(stream)),
		"restoring an empty backup must leave the target empty and usable")
	assertEntries(t, data, contents(t, again))

	_, err = dst.Get(t.Context(), []byte("missing"), nil)
	assert.ErrorIs(t, err, backend.ErrNotFound)
}

// testRestoreRejects checks that Restore refuses a non-empty target and a
// damaged stream, and that a refused or cancelled Restore leaves nothing
// visible, even when it had already committed some chunks.
func (s *suite) testRestoreRejects(t *testing.T) {
	src := s.fresh(t)
	put(t, src, backupData()...)
	stream := backup(t, src)
	end := len(stream)
	damaged := func(f func(p []byte) []byte) []byte { return f(bytes.Clone(stream)) }

	t.Run("not empty", func(t *testing.T) {
		dst := s.fresh(t)
		put(t, dst, entry{"zzz", "mine"})
		err := backend.Restore(t.Context(), dst, bytes.NewReader(stream))
		assert.ErrorIs(t, err, backend.ErrNotEmpty)
		assertEntries(t, []entry{{"zzz", "mine"}}, contents(t, dst), "Restore changed a non-empty target")
	})

	t.Run("cancelled", func(t *testing.T) {
		dst := s.fresh(t)
		err := backend.Restore(cancelled(t), dst, bytes.NewReader(stream))
		assert.ErrorIs(t, err, context.Canceled)
		assertEntries(t, nil, contents(t, dst))
		assert.ErrorIs(t, backend.Backup(cancelled(t), src, new(bytes.Buffer)), context.Canceled, "Backup")
	})

	flip := func(i int) func(p []byte) []byte {
		return func(p []byte) []byte { p[i] ^= 0x01; return p }
	}
	corrupt := []struct {
		name   string
		stream []byte
	}{
		{"empty stream", nil},
		{"not a backup", []byte("this is not a storegen backup stream")},
		{"truncated in the header", stream[:5]},
		{"header only", stream[:12]},
		{"truncated in a large value", stream[:end/2]},
		{"truncated in the last records", stream[:end-40]},
		{"trailer missing", stream[:end-12]},
		{"last byte missing", stream[:end-1]},
		{"bad magic", damaged(flip(0))},
		{"unknown version", damaged(func(p []byte) []byte { p[11] = 99; return p })},
		{"flipped bit in a value", damaged(flip(end / 2))},
		{"flipped bit near the end", damaged(flip(end - 30))},
		{"flipped bit in the count", damaged(flip(end - 5))},
		{"flipped bit in the checksum", damaged(flip(end - 1))},
	}
	for _, c := range corrupt {
		t.Run(c.name, func(t *testing.T) {
			dst := s.fresh(t)
			err := backend.Restore(t.Context(), dst, bytes.NewReader(c.stream))
			require.ErrorIs(t, err, backend.ErrCorrupt)
			assertEntries(t, nil, contents(t, dst), "a failed Restore left data behind")
		})
	}
}
