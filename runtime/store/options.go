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
