package bbolt

import "bytes"

// Sizes of the arena.
const (
	blockSize  = 64 << 10
	ownBlock   = blockSize / 4 // larger values get an allocation of their own
	keepBlocks = 16            // blocks kept between transactions: 1 MiB
)

// arena holds the copies of the keys and values a transaction writes.
// bbolt keeps the value slice given to Put until the transaction ends (it
// copies only the key), so the engine must copy: into blocks rather than
// one allocation per value, and into blocks reused by the next transaction,
// since once a transaction committed or rolled back bbolt refers to none of
// them. Only the writer uses the arena.
type arena struct {
	blocks [][]byte // in use by the running transaction; the last is current
	spare  [][]byte // free for the next transaction
}

// copy returns a copy of v that lives until reset. It is never nil, so that
// bbolt stores an empty value rather than reading nil back as missing.
func (a *arena) copy(v []byte) []byte {
	switch {
	case len(v) == 0:
		return emptyValue
	case len(v) > ownBlock:
		return bytes.Clone(v)
	}
	n := len(a.blocks)
	if n == 0 || cap(a.blocks[n-1])-len(a.blocks[n-1]) < len(v) {
		a.blocks = append(a.blocks, a.block())
		n++
	}
	b := a.blocks[n-1]
	start := len(b)
	b = append(b, v...)
	a.blocks[n-1] = b
	return b[start:len(b):len(b)]
}

func (a *arena) block() []byte {
	if n := len(a.spare); n > 0 {
		b := a.spare[n-1]
		a.spare = a.spare[:n-1]
		return b
	}
	return make([]byte, 0, blockSize)
}

// reset makes the blocks free for reuse, keeping keepBlocks of them. Call it
// only after the transaction that used them ended.
func (a *arena) reset() {
	for _, b := range a.blocks {
		if len(a.spare) < keepBlocks {
			a.spare = append(a.spare, b[:0])
		}
	}
	clear(a.blocks)
	a.blocks = a.blocks[:0]
}

// emptyValue is what an empty value is stored as; bbolt never writes to it.
var emptyValue = []byte{}
