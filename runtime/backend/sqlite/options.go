package sqlite

import "time"

// DefaultBusyTimeout is how long a statement waits for a lock another
// process holds before failing with SQLITE_BUSY. Within one Backend writers
// take turns and readers never wait, so the timeout matters only when
// several processes share the file.
const DefaultBusyTimeout = 5 * time.Second

// Option changes how Open opens a database.
type Option func(*config)

type config struct {
	sync        bool
	busyTimeout time.Duration
}

// NoSync runs the database with synchronous=NORMAL instead of FULL: a
// commit returns once it is in the write-ahead log, without waiting for the
// log to reach the disk. The database stays consistent, but a crash of the
// machine (not of the process) may lose the last transactions; Flush makes
// everything committed before it durable.
func NoSync() Option {
	return func(c *config) { c.sync = false }
}

// BusyTimeout sets how long statements wait for locks held by other
// processes (DefaultBusyTimeout unless set). It is rounded down to whole
// milliseconds.
func BusyTimeout(d time.Duration) Option {
	return func(c *config) { c.busyTimeout = d }
}
