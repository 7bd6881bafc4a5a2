//go:build !gc || purego || !(amd64 || arm64)

package substrates

import (
	"runtime"
	"sync"
)

// stackBufs holds the buffers currentG reads stack headers into; runtime.Stack
// makes its argument escape, and the pool keeps that from allocating.
var stackBufs = sync.Pool{New: func() any { return new([64]byte) }}

// currentG returns the running goroutine's id, parsed from the header of
// its stack trace ("goroutine 42 [running]:"). It is correct but costs about
// a microsecond, paid by emissions made while the dispatch goroutine is
// busy; the amd64 and arm64 builds read the goroutine pointer instead
// (goroutine_asm.go).
func currentG() uintptr {
	buf := stackBufs.Get().(*[64]byte)
	defer stackBufs.Put(buf)
	n := runtime.Stack(buf[:], false)
	const prefix = "goroutine "
	var id uintptr
	for _, b := range buf[len(prefix):n] {
		if b < '0' || b > '9' {
			break
		}
		id = id*10 + uintptr(b-'0')
	}
	return id
}
