package compress

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/synapsed/storegen/runtime/backend"
)

// Codec names a compression format. Its value is the header byte written
// before every value stored with it, so the numbers are part of the stored
// format and never change.
type Codec uint8

const (
	// None stores values as they are, behind header 0.
	None Codec = 0
	// LZ4 is the LZ4 block format (pierrec/lz4), preceded by the value's
	// length as a uvarint: fast both ways, moderate ratio.
	LZ4 Codec = 1
	// Zstd is a Zstandard frame (klauspost/compress/zstd, default level,
	// with a checksum): the best ratio, slower to write.
	Zstd Codec = 2
	// Snappy is the Snappy block format, written by klauspost's s2 in its
	// Snappy-compatible mode.
	Snappy Codec = 3
	// S2 is klauspost's S2 block format, an extension of Snappy that
	// compresses better at similar speed.
	S2 Codec = 4
)

// String returns the codec's name, for example "zstd".
func (c Codec) String() string {
	switch c {
	case None:
		return "none"
	case LZ4:
		return "lz4"
	case Zstd:
		return "zstd"
	case Snappy:
		return "snappy"
	case S2:
		return "s2"
	}
	return "codec(" + strconv.Itoa(int(c)) + ")"
}

func (c Codec) known() bool { return c <= S2 }

// maxCompressed is the largest value the layer compresses; larger ones are
// stored raw. Compressing them would hold the value twice in memory for
// little gain, and the bound caps what a damaged length field can make a
// reader allocate.
const maxCompressed = 64 << 20

// lz4MaxRatio bounds how much an LZ4 block can expand: a match of at most
// 255 bytes per extra length byte. A stored length beyond it is damage.
const lz4MaxRatio = 255

var (
	// The zstd coders are shared by every Backend: EncodeAll and DecodeAll
	// are safe for concurrent use, and coders used only that way start no
	// goroutines, so they are never closed.
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			panic(fmt.Sprintf("compress: zstd encoder: %v", err))
		}
		return enc
	})
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		dec, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(0), // one per processor: DecodeAll callers wait for a free one
			zstd.WithDecoderMaxMemory(maxCompressed))
		if err != nil {
			panic(fmt.Sprintf("compress: zstd decoder: %v", err))
		}
		return dec
	})
	// lz4Compressors are reused because a Compressor holds a 64 KiB hash
	// table and is not safe for concurrent use.
	lz4Compressors = sync.Pool{New: func() any { return new(lz4.Compressor) }}
)

// encode appends value to dst as a stored value: header byte and payload.
// It stores raw (header 0) when c is None, when value is shorter than
// minSize or larger than maxCompressed, and when compressing does not
// shrink it.
func encode(dst, value []byte, c Codec, minSize int) []byte {
	start := len(dst)
	if c == None || len(value) < minSize || len(value) > maxCompressed {
		return append(append(dst, byte(None)), value...)
	}
	dst = append(dst, byte(c))
	var ok bool
	switch c {
	case LZ4:
		dst, ok = encodeLZ4(dst, value)
	case Zstd:
		dst, ok = zstdEncoder().EncodeAll(value, dst), true
	case Snappy, S2:
		// s2's encoders write at the start of the slice they are given.
		dst = slices.Grow(dst, s2.MaxEncodedLen(len(value)))
		spare := dst[len(dst):cap(dst)]
		var out []byte
		if c == S2 {
			out = s2.Encode(spare, value)
		} else {
			out = s2.EncodeSnappy(spare, value)
		}
		dst, ok = dst[:len(dst)+len(out)], true
	}
	if !ok || len(dst)-start-1 >= len(value) {
		return append(append(dst[:start], byte(None)), value...)
	}
	return dst
}

func encodeLZ4(dst, value []byte) ([]byte, bool) {
	dst = binary.AppendUvarint(dst, uint64(len(value)))
	bound := lz4.CompressBlockBound(len(value))
	dst = slices.Grow(dst, bound)
	c := lz4Compressors.Get().(*lz4.Compressor)
	n, err := c.CompressBlock(value, dst[len(dst):len(dst)+bound])
	lz4Compressors.Put(c)
	if err != nil || n == 0 { // incompressible
		return dst, false
	}
	return dst[:len(dst)+n], true
}

// decode appends the value held by stored to dst. It returns an error
// wrapping backend.ErrCorrupt, never a panic, for a value that is empty,
// has an unknown header or a damaged payload.
func decode(dst, stored []byte) ([]byte, error) {
	if len(stored) == 0 {
		return nil, corrupt(None, "no header byte", nil)
	}
	c, payload := Codec(stored[0]), stored[1:]
	if !c.known() {
		return nil, corrupt(c, "unknown header", nil)
	}
	if c != None && len(payload) == 0 {
		// The layer never compresses to nothing.
		return nil, corrupt(c, "empty payload", nil)
	}
	var err error
	switch c {
	case None:
		return append(dst, payload...), nil
	case LZ4:
		dst, err = decodeLZ4(dst, payload)
	case Zstd:
		dst, err = zstdDecoder().DecodeAll(payload, dst)
	case Snappy, S2:
		dst, err = decodeS2(dst, payload)
	}
	if err != nil {
		return nil, corrupt(c, "damaged payload", err)
	}
	return dst, nil
}

func decodeLZ4(dst, payload []byte) ([]byte, error) {
	n, k := binary.Uvarint(payload)
	if k <= 0 {
		return nil, fmt.Errorf("bad length")
	}
	block := payload[k:]
	// Zero is refused too: the layer never compresses an empty value, and
	// lz4's assembly decoder faults on a nil destination.
	if n == 0 || n > maxCompressed || n > uint64(len(block))*lz4MaxRatio {
		return nil, fmt.Errorf("length %d impossible for a %d-byte block", n, len(block))
	}
	dst = slices.Grow(dst, int(n))
	got, err := lz4.UncompressBlock(block, dst[len(dst):len(dst)+int(n)])
	if err != nil {
		return nil, err
	}
	if got != int(n) {
		return nil, fmt.Errorf("decoded %d bytes, header says %d", got, n)
	}
	return dst[:len(dst)+got], nil
}

func decodeS2(dst, payload []byte) ([]byte, error) {
	n, err := s2.DecodedLen(payload)
	if err != nil {
		return nil, err
	}
	if n > maxCompressed {
		return nil, fmt.Errorf("length %d over the %d limit", n, maxCompressed)
	}
	dst = slices.Grow(dst, n)
	out, err := s2.Decode(dst[len(dst):len(dst)+n], payload)
	if err != nil {
		return nil, err
	}
	return dst[:len(dst)+len(out)], nil
}

func corrupt(c Codec, what string, cause error) error {
	if cause == nil {
		return fmt.Errorf("compress: %s value: %w: %s", c, backend.ErrCorrupt, what)
	}
	return fmt.Errorf("compress: %s value: %w: %s: %w", c, backend.ErrCorrupt, what, cause)
}
