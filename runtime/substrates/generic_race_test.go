//go:build race && (!gc || purego || !(amd64 || arm64))

package substrates_test

// The portable goroutine check pools its stack buffers, and the race
// detector deliberately makes sync.Pool drop some of them.
func init() { poolsLeak = true }
