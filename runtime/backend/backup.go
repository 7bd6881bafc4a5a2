package backend

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The backup stream is engine-neutral, so a backup taken from one engine
// restores into any other. Its layout, all integers big-endian:
//
//	header   8 bytes  magic "\x89SGBAK\r\n" (the high byte and CR LF catch
//	                  7-bit and line-ending mangling, as in PNG)
//	         4 bytes  format version, uint32, currently 1
//	records  per key, in strictly ascending key order:
//	         uvarint  key length, 1 to 2^31-1
//	         bytes    key
//	         uvarint  value length, 0 to 2^31-1
//	         bytes    value
//	end      1 byte   0x00, a key length of zero (keys are never empty)
//	trailer  8 bytes  record count, uint64
//	         4 bytes  CRC-32C (Castagnoli) of every preceding byte, uint32
//
// The checksum covers the header, the records, the end marker and the count,
// so a stream is accepted only if it arrived whole and unchanged.
const (
	backupMagic   = "\x89SGBAK\r\n"
	backupVersion = 1

	// restoreChunkRecords and restoreChunkBytes bound one Restore
	// transaction, so a large stream never builds one huge batch.
	restoreChunkRecords = 1000
	restoreChunkBytes   = 4 << 20

	// readStep bounds how much Restore allocates ahead of the bytes that
	// actually arrive, so a damaged length cannot demand gigabytes.
	readStep = 1 << 20

	// ctxEvery is how many records pass between context checks.
	ctxEvery = 256
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Backup writes every key of b, as of one consistent View, to w in the
// portable backup format described above. It holds the View open until the
// stream is written, so writers are not blocked but engines that pin old
// data for open views (bbolt) keep it until Backup returns. Backup does not
// close w.
func Backup(ctx context.Context, b Backend, w io.Writer) error {
	v, err := b.View(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer v.Close()

	bw := &checksumWriter{w: bufio.NewWriterSize(w, 64<<10)}
	bw.write([]byte(backupMagic))
	bw.writeUint32(backupVersion)

	it := v.Range(nil, nil, false)
	defer it.Close()
	var count uint64
	for it.Next() {
		if count%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("backup: %w", err)
			}
		}
		key, value := it.Key(), it.Value()
		if len(key) == 0 {
			// A zero length is the end marker; the engine broke its contract.
			return fmt.Errorf("backup: %w: engine returned an empty key", ErrCorrupt)
		}
		bw.writeUvarint(uint64(len(key)))
		bw.write(key)
		bw.writeUvarint(uint64(len(value)))
		bw.write(value)
		count++
		if bw.err != nil {
			return fmt.Errorf("backup: write: %w", bw.err)
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("backup: read after %d records: %w", count, err)
	}
	bw.writeUvarint(0)
	bw.writeUint64(count)
	crc := bw.crc
	bw.writeUint32(crc)
	if bw.err == nil {
		bw.err = bw.w.Flush()
	}
	if bw.err != nil {
		return fmt.Errorf("backup: write: %w", bw.err)
	}
	return nil
}

// Restore reads a stream written by Backup into b, which must hold no keys
// (else ErrNotEmpty). It writes in transactions of at most
// restoreChunkRecords records or restoreChunkBytes bytes, fewer if b is a
// TxnLimiter that allows less, and returns nil only
// after the trailer's count and checksum match what it read. A stream that
// is not a backup, is truncated or fails its checksum gives an error wrapping
// ErrCorrupt.
//
// If Restore fails after committing some chunks, it deletes what it wrote,
// so the target is empty again. That is only exact when Restore is the only
// writer on b while it runs, which the caller must ensure: other writes may
// be visible half-way and may be removed by the clean-up. Restore reads r
// through a buffer, so it may consume bytes beyond the end of the stream.
func Restore(ctx context.Context, b Backend, r io.Reader) error {
	if err := requireEmpty(ctx, b); err != nil {
		return err
	}
	rs := restorer{b: b, r: &checksumReader{r: bufio.NewReaderSize(r, 64<<10)}}
	rs.maxRecords, rs.maxBytes = chunkLimits(b)
	err := rs.run(ctx)
	if err == nil {
		return nil
	}
	if rs.committed {
		// Cancellation must not stop the clean-up of a half-written target.
		if cerr := deleteRange(context.WithoutCancel(ctx), b, rs.first, rs.lastCommitted); cerr != nil {
			err = errors.Join(err, fmt.Errorf("restore: removing partial data: %w", cerr))
		}
	}
	return err
}

func requireEmpty(ctx context.Context, b Backend) error {
	v, err := b.View(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer v.Close()
	it := v.Range(nil, nil, false)
	found := it.Next()
	if err := it.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if found {
		return fmt.Errorf("restore: %w", ErrNotEmpty)
	}
	return nil
}

// restorer holds the state of one Restore: the records read but not yet
// written, kept as offsets into one reused buffer, and the key span already
// committed, for the clean-up after a failure.
type restorer struct {
	b Backend
	r *checksumReader
	// maxRecords and maxBytes bound one chunk (see chunkLimits).
	maxRecords, maxBytes int

	buf     []byte
	pending []span
	count   uint64
	prevKey []byte

	committed     bool
	first         []byte
	lastCommitted []byte
}

// span locates one pending record in restorer.buf: key is buf[k:v], value
// is buf[v:end].
type span struct{ k, v, end int }

func (rs *restorer) run(ctx context.Context) error {
	var head [len(backupMagic) + 4]byte
	if err := rs.r.readFull(head[:]); err != nil {
		return rs.readErr(err, "header")
	}
	if string(head[:len(backupMagic)]) != backupMagic {
		return fmt.Errorf("restore: %w: not a storegen backup (bad magic %q)", ErrCorrupt, head[:len(backupMagic)])
	}
	if v := binary.BigEndian.Uint32(head[len(backupMagic):]); v != backupVersion {
		return fmt.Errorf("restore: %w: unsupported backup format version %d (want %d)", ErrCorrupt, v, backupVersion)
	}
	for {
		if rs.count%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
		}
		keyLen, err := rs.r.readLength()
		if err != nil {
			return rs.readErr(err, "key length")
		}
		if keyLen == 0 {
			break
		}
		k := len(rs.buf)
		if rs.buf, err = rs.r.readAppend(rs.buf, keyLen); err != nil {
			return rs.readErr(err, "key")
		}
		valueLen, err := rs.r.readLength()
		if err != nil {
			return rs.readErr(err, "value length")
		}
		v := len(rs.buf)
		if rs.buf, err = rs.r.readAppend(rs.buf, valueLen); err != nil {
			return rs.readErr(err, "value")
		}
		key := rs.buf[k:v]
		if rs.prevKey != nil && bytes.Compare(rs.prevKey, key) >= 0 {
			return fmt.Errorf("restore: %w: record %d: keys out of order", ErrCorrupt, rs.count)
		}
		rs.prevKey = append(rs.prevKey[:0], key...)
		rs.pending = append(rs.pending, span{k: k, v: v, end: len(rs.buf)})
		rs.count++
		if len(rs.pending) >= rs.maxRecords || len(rs.buf) >= rs.maxBytes {
			if err := rs.commit(ctx); err != nil {
				return err
			}
		}
	}

	var tail [8]byte
	if err := rs.r.readFull(tail[:]); err != nil {
		return rs.readErr(err, "trailer")
	}
	computed := rs.r.crc
	var sum [4]byte
	if err := rs.r.readFull(sum[:]); err != nil {
		return rs.readErr(err, "trailer")
	}
	if got := binary.BigEndian.Uint32(sum[:]); got != computed {
		return fmt.Errorf("restore: %w: checksum mismatch (stream says %08x, data gives %08x)", ErrCorrupt, got, computed)
	}
	if n := binary.BigEndian.Uint64(tail[:]); n != rs.count {
		return fmt.Errorf("restore: %w: trailer counts %d records, stream holds %d", ErrCorrupt, n, rs.count)
	}
	return rs.commit(ctx)
}

// commit writes the pending records in one transaction and resets the
// buffer for the next chunk.
func (rs *restorer) commit(ctx context.Context) error {
	if len(rs.pending) == 0 {
		return nil
	}
	err := rs.b.Update(ctx, func(txn Txn) error {
		for _, s := range rs.pending {
			if err := txn.Set(rs.buf[s.k:s.v], rs.buf[s.v:s.end]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore: write: %w", err)
	}
	if !rs.committed {
		s := rs.pending[0]
		rs.first = append([]byte(nil), rs.buf[s.k:s.v]...)
		rs.committed = true
	}
	rs.lastCommitted = append(rs.lastCommitted[:0], rs.prevKey...)
	rs.pending = rs.pending[:0]
	rs.buf = rs.buf[:0]
	return nil
}

// readErr turns a failed read into the error Restore reports: a stream that
// ends early or has a malformed length is corrupt; any other error is the
// reader's own and is passed on.
func (rs *restorer) readErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("restore: %w: truncated in %s after %d records", ErrCorrupt, what, rs.count)
	}
	if errors.Is(err, errBadLength) {
		return fmt.Errorf("restore: %w: bad %s after %d records", ErrCorrupt, what, rs.count)
	}
	return fmt.Errorf("restore: read %s: %w", what, err)
}

// deleteRange removes every key k with first <= k <= last, a transaction of
// at most restoreChunkRecords keys at a time.
func deleteRange(ctx context.Context, b Backend, first, last []byte) error {
	hi := append(append([]byte(nil), last...), 0) // the successor of last
	chunk, _ := chunkLimits(b)
	keys := make([][]byte, 0, chunk)
	for {
		err := b.Update(ctx, func(txn Txn) error {
			keys = keys[:0]
			// Collect, then delete: not every engine lets a transaction
			// write under its own open iterator.
			it := txn.Range(first, hi, false)
			for len(keys) < chunk && it.Next() {
				keys = append(keys, append([]byte(nil), it.Key()...))
			}
			if err := it.Close(); err != nil {
				return err
			}
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(keys) < chunk {
			return nil
		}
	}
}

// chunkLimits returns how many records, and about how many bytes of keys
// and values, Restore puts in one transaction on b. A chunk ends at the
// first record that reaches the byte bound, so it may pass it by one record.
func chunkLimits(b Backend) (records, bytes int) {
	records, bytes = restoreChunkRecords, restoreChunkBytes
	keys, size := TxnLimitsOf(b)
	if keys > 0 {
		records = min(records, keys)
	}
	if size > 0 {
		bytes = min(bytes, size)
	}
	return records, bytes
}

// checksumWriter writes through w while summing, and keeps the first error
// so the encoder can check once per record.
type checksumWriter struct {
	w       *bufio.Writer
	crc     uint32
	err     error
	scratch [binary.MaxVarintLen64]byte
}

func (c *checksumWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	c.crc = crc32.Update(c.crc, castagnoli, p)
	_, c.err = c.w.Write(p)
}

func (c *checksumWriter) writeUvarint(x uint64) {
	c.write(binary.AppendUvarint(c.scratch[:0], x))
}

func (c *checksumWriter) writeUint32(x uint32) {
	c.write(binary.BigEndian.AppendUint32(c.scratch[:0], x))
}

func (c *checksumWriter) writeUint64(x uint64) {
	c.write(binary.BigEndian.AppendUint64(c.scratch[:0], x))
}

// errBadLength marks a length prefix that is malformed or too large.
var errBadLength = errors.New("bad length")

// checksumReader sums every byte it hands out. It sits above the bufio
// layer so read-ahead is not summed.
type checksumReader struct {
	r   *bufio.Reader
	crc uint32
	one [1]byte
}

func (c *checksumReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.one[0] = b
		c.crc = crc32.Update(c.crc, castagnoli, c.one[:])
	}
	return b, err
}

func (c *checksumReader) readFull(p []byte) error {
	n, err := io.ReadFull(c.r, p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return err
}

func (c *checksumReader) readLength() (int, error) {
	n, err := binary.ReadUvarint(c)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, err
		}
		return 0, fmt.Errorf("%w: %w", errBadLength, err)
	}
	if n > math.MaxInt32 {
		return 0, errBadLength
	}
	return int(n), nil
}

// readAppend appends the next n bytes to buf, growing it by at most readStep
// ahead of the data that arrived.
func (c *checksumReader) readAppend(buf []byte, n int) ([]byte, error) {
	for n > 0 {
		step := min(n, readStep)
		start := len(buf)
		buf = append(buf, make([]byte, step)...)
		if err := c.readFull(buf[start:]); err != nil {
			return buf, err
		}
		n -= step
	}
	return buf, nil
}
