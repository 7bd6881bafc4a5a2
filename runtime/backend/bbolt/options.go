package bbolt

import "time"

// Defaults of Open.
const (
	// DefaultBucket names the bucket that holds every key.
	DefaultBucket = "storegen"
	// DefaultTimeout bounds the wait for the file lock, which another
	// process, or another open Backend on the same file, holds.
	DefaultTimeout = time.Second
	// DefaultMmapSize is the address space mapped for the file at open.
	// bbolt must remap when the file outgrows the mapping, and a remap
	// waits for every open view, so with bbolt's own small default a
	// goroutine that holds a view while it writes deadlocks as soon as the
	// file grows. A generous mapping reserves address space only; with it
	// bbolt grows the file in sparse steps of 16 MiB, so a new file's
	// length is 16 MiB while it takes a few pages of disk.
	DefaultMmapSize = 1 << 30
)

// Option changes how Open opens a database.
type Option func(*config)

type config struct {
	noSync   bool
	timeout  time.Duration
	bucket   string
	mmapSize int
}

// NoSync makes commits return without waiting for the file to reach the
// disk. A crash of the machine (not of the process) may then lose the last
// transactions or, as bbolt warns, damage the file; Flush makes everything
// committed before it durable. Meant for tests and rebuildable data.
func NoSync() Option {
	return func(c *config) { c.noSync = true }
}

// Timeout sets how long Open waits for the file lock before failing; zero
// waits for as long as it takes.
func Timeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// Bucket sets the name of the bucket that holds the keys, so that one file
// can hold several key spaces, one of which a Backend opens. The bucket is
// created if missing.
func Bucket(name string) Option {
	return func(c *config) { c.bucket = name }
}

// MmapSize sets the address space mapped at open, in bytes; see
// DefaultMmapSize.
func MmapSize(bytes int) Option {
	return func(c *config) { c.mmapSize = bytes }
}
