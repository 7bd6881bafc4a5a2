package store

// ScanOption adjusts a Scan, ScanRange, ScanPrefix or ListBy iteration.
type ScanOption func(*scanConfig)

type scanConfig struct {
	reverse bool
	limit   int
}

// Reverse iterates in descending key order.
func Reverse() ScanOption { return func(c *scanConfig) { c.reverse = true } }

// Limit stops after n records; n <= 0 means no limit.
func Limit(n int) ScanOption { return func(c *scanConfig) { c.limit = n } }

func scanConfigOf(opts []ScanOption) scanConfig {
	var c scanConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WatchOption adjusts a Watch subscription.
type WatchOption func(*watchConfig)

type watchConfig struct {
	buffer   int
	overflow Overflow
	kinds    uint8 // bit k set: deliver EventKind k; 0 means all
	existing bool

	// Key filters, checked by the store against its key type K.
	key, from, to any
	prefix        []byte
	hasKey        bool
	hasRange      bool
}

// Buffer sets how many undelivered events a subscription holds (default
// DefaultBuffer; at least 1).
func Buffer(n int) WatchOption {
	return func(c *watchConfig) { c.buffer = max(n, 1) }
}

// OnOverflow sets what happens when the buffer is full (default DropOldest).
func OnOverflow(p Overflow) WatchOption { return func(c *watchConfig) { c.overflow = p } }

// Kinds delivers only events of the given kinds.
func Kinds(kinds ...EventKind) WatchOption {
	return func(c *watchConfig) {
		for _, k := range kinds {
			c.kinds |= 1 << k
		}
	}
}

// Existing first delivers every current record matching the filters, as
// Created events with the Seq of the last commit before the watch began,
// then live changes, with no gap and no duplicate between the two.
func Existing() WatchOption { return func(c *watchConfig) { c.existing = true } }

// WatchKey delivers only events of the record with key k. K is the
// store's key type, or a number or string type that converts to it
// without loss (WatchKey(7) watches key 7 of an int64, uint16 or named
// integer key); any other type ends the subscription with an error.
func WatchKey[K any](k K) WatchOption {
	return func(c *watchConfig) { c.key, c.hasKey = k, true }
}

// WatchRange delivers only events of keys from <= key < to. from and to
// convert to the store's key type like WatchKey's k.
func WatchRange[K any](from, to K) WatchOption {
	return func(c *watchConfig) { c.from, c.to, c.hasRange = from, to, true }
}

// WatchPrefix delivers only events of keys whose encoding starts with
// prefix; generated stores offer typed forms of it (leading fields of a
// compound key, a string key's prefix).
func WatchPrefix(prefix []byte) WatchOption {
	return func(c *watchConfig) { c.prefix = append([]byte(nil), prefix...) }
}

func watchConfigOf(opts []WatchOption) watchConfig {
	c := watchConfig{buffer: DefaultBuffer, overflow: DropOldest}
	for _, o := range opts {
		o(&c)
	}
	return c
}
