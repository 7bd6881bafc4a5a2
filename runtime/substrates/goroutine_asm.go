//go:build gc && !purego && (amd64 || arm64)

package substrates

// currentG returns the address of the running goroutine's descriptor: no
// two live goroutines share it, which is all the circuit needs to recognise
// its own goroutine. Go offers no goroutine identity, so it is read from the
// register or thread-local slot the gc toolchain keeps it in (goroutine_*.s).
//
//go:noescape
func currentG() uintptr
