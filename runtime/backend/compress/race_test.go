//go:build race

package compress_test

// raceEnabled is set when the race detector is on: it slows the codecs'
// pure-Go loops several times over and makes sync.Pool drop buffers at
// random, so some tests do less or skip.
const raceEnabled = true
