package backend_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/memory"
)

// stream builds a backup stream by hand: the header, the given records
// (pairs of key and value), the end marker, count, and a valid checksum.
// It is the format's specification in executable form.
func stream(count uint64, kv ...string) []byte {
	p := []byte("\x89SGBAK\r\n\x00\x00\x00\x01")
	for i := 0; i < len(kv); i += 2 {
		p = binary.AppendUvarint(p, uint64(len(kv[i])))
		p = append(p, kv[i]...)
		p = binary.AppendUvarint(p, uint64(len(kv[i+1])))
		p = append(p, kv[i+1]...)
	}
	p = append(p, 0)
	p = binary.BigEndian.AppendUint64(p, count)
	return binary.BigEndian.AppendUint32(p, crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
}

func TestBackupFormat(t *testing.T) {
	ctx := t.Context()
	b := memory.New()
	defer b.Close()
	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		return errors.Join(
			txn.Set([]byte("b"), nil),
			txn.Set([]byte("a"), []byte("1")),
			txn.Set([]byte("\xff"), bytes.Repeat([]byte{'v'}, 200)), // a two-byte uvarint
		)
	}))
	var got bytes.Buffer
	require.NoError(t, backend.Backup(ctx, b, &got))
	assert.Equal(t, stream(3, "a", "1", "b", "", "\xff", string(bytes.Repeat([]byte{'v'}, 200))), got.Bytes())
}

// TestRestoreValidates feeds Restore streams whose checksum is right but
// whose content breaks the format's rules.
func TestRestoreValidates(t *testing.T) {
	cases := []struct {
		name   string
		stream []byte
	}{
		{"count too high", stream(3, "a", "1", "b", "2")},
		{"count too low", stream(1, "a", "1", "b", "2")},
		{"keys out of order", stream(2, "b", "1", "a", "2")},
		{"duplicate key", stream(2, "a", "1", "a", "2")},
		{"length overflows", append([]byte("\x89SGBAK\r\n\x00\x00\x00\x01"), bytes.Repeat([]byte{0xff}, 11)...)},
		{"length too large", binary.AppendUvarint([]byte("\x89SGBAK\r\n\x00\x00\x00\x01"), 1<<40)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := memory.New()
			defer b.Close()
			err := backend.Restore(t.Context(), b, bytes.NewReader(c.stream))
			require.ErrorIs(t, err, backend.ErrCorrupt)
			st, err := b.Stats(t.Context())
			require.NoError(t, err)
			assert.Zero(t, st.Keys)
		})
	}

	b := memory.New()
	defer b.Close()
	require.NoError(t, backend.Restore(t.Context(), b, bytes.NewReader(stream(2, "a", "1", "b", ""))))
	v, err := b.Get(t.Context(), []byte("b"), nil)
	require.NoError(t, err)
	assert.Empty(t, v)
}

var errDisk = errors.New("disk on fire")

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errDisk
	}
	return len(p), nil
}

type failingReader struct {
	r     io.Reader
	after int
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.after <= 0 {
		return 0, errDisk
	}
	p = p[:min(len(p), r.after)]
	n, err := r.r.Read(p)
	r.after -= n
	return n, err
}

// TestBackupRestoreIOErrors checks that a failing writer or reader is
// reported as itself, not as corruption, and that a failed Restore leaves
// nothing behind.
func TestBackupRestoreIOErrors(t *testing.T) {
	ctx := t.Context()
	src := memory.New()
	defer src.Close()
	require.NoError(t, src.Update(ctx, func(txn backend.Txn) error {
		for i := range 5000 {
			if err := txn.Set(binary.BigEndian.AppendUint32([]byte("k"), uint32(i)), []byte("some value")); err != nil {
				return err
			}
		}
		return nil
	}))
	err := backend.Backup(ctx, src, &failingWriter{after: 1000})
	require.ErrorIs(t, err, errDisk)
	assert.NotErrorIs(t, err, backend.ErrCorrupt)

	var full bytes.Buffer
	require.NoError(t, backend.Backup(ctx, src, &full))
	dst := memory.New()
	defer dst.Close()
	err = backend.Restore(ctx, dst, &failingReader{r: &full, after: full.Len() - 10})
	require.ErrorIs(t, err, errDisk)
	assert.NotErrorIs(t, err, backend.ErrCorrupt)
	st, err := dst.Stats(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Keys, "a failed Restore left data behind")
}
