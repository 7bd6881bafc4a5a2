package etcd

import (
	"math"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Defaults Open uses unless an Option says otherwise.
const (
	// DefaultPrefix is the key prefix under which a Backend keeps its data.
	DefaultPrefix = "storegen/"
	// DefaultRequestTimeout bounds each request to the cluster.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMaxAttempts is how often Update runs a transaction that keeps
	// losing optimistic races before it gives up with backend.ErrConflict.
	DefaultMaxAttempts = 10
	// DefaultMaxTxnOps and DefaultMaxRequestBytes are etcd's own defaults
	// for --max-txn-ops and --max-request-bytes.
	DefaultMaxTxnOps       = 128
	DefaultMaxRequestBytes = 1536 << 10
	// defaultDialTimeout bounds connecting when the caller's clientv3.Config
	// sets no DialTimeout.
	defaultDialTimeout = 5 * time.Second
)

// Option changes how Open connects and how the Backend behaves.
type Option func(*config)

type config struct {
	prefix      string
	timeout     time.Duration
	maxAttempts int
	base        clientv3.Config
	client      *clientv3.Client
	onRoundTrip func(time.Duration, error)
	maxTxnOps   int
	maxReqBytes int
}

func defaults() config {
	return config{
		prefix:      DefaultPrefix,
		timeout:     DefaultRequestTimeout,
		maxAttempts: DefaultMaxAttempts,
		maxTxnOps:   DefaultMaxTxnOps,
		maxReqBytes: DefaultMaxRequestBytes,
	}
}

// Prefix makes the Backend keep its keys under p instead of DefaultPrefix.
// p must not be empty, and the prefixes of Backends sharing a cluster must
// not be prefixes of one another ("a/" and "a/b/" overlap; ending every
// prefix in "/" and keeping them distinct avoids that). The key equal to p
// itself holds the Backend's marker, never user data.
func Prefix(p string) Option {
	return func(c *config) { c.prefix = p }
}

// RequestTimeout bounds every request to the cluster, within the context
// of the call that makes it; 0 leaves only the caller's context.
func RequestTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// MaxAttempts sets how many times Update runs a transaction whose commit
// loses an optimistic race, counting the first run; values below 1 mean 1.
// Between attempts Update waits a jittered, doubling backoff from 1 ms to
// 50 ms.
func MaxAttempts(n int) Option {
	return func(c *config) { c.maxAttempts = max(n, 1) }
}

// ServerLimits tells the Backend the cluster's --max-txn-ops and
// --max-request-bytes (etcd's defaults, 128 and 1.5 MiB, unless this option
// says otherwise; values below 2 and 1 are raised to them). The server
// enforces them; the Backend reports them through TxnLimits so that bulk
// writers such as backend.Restore split their transactions to fit.
func ServerLimits(maxTxnOps, maxRequestBytes int) Option {
	return func(c *config) { c.maxTxnOps, c.maxReqBytes = max(maxTxnOps, 2), max(maxRequestBytes, 1) }
}

// Config makes Open build its client from a copy of cfg, for TLS,
// authentication, keep-alives and other settings this package does not
// expose. Open's endpoints, when given, replace cfg.Endpoints. Unless cfg
// says otherwise, the client logs nothing, dials for at most 5 s and may
// send requests of any size, so the server's --max-request-bytes is the
// limit that applies.
func Config(cfg clientv3.Config) Option {
	return func(c *config) { c.base = cfg }
}

// Client makes the Backend use an existing client instead of creating one;
// Open's endpoints and the Config option are then ignored. Close leaves the
// client open: it belongs to the caller, who may share it between Backends
// on different prefixes.
func Client(cli *clientv3.Client) Option {
	return func(c *config) { c.client = cli }
}

// OnRoundTrip registers fn to be called after every request to the cluster
// with its duration and its error (nil on success; a lost optimistic race
// is a successful request). fn runs on the goroutine that made the request
// and must be quick; it is where probes of the network are attached.
func OnRoundTrip(fn func(d time.Duration, err error)) Option {
	return func(c *config) { c.onRoundTrip = fn }
}

// clientConfig is the configuration Open creates its client with.
func (c *config) clientConfig(endpoints []string) clientv3.Config {
	cfg := c.base
	if len(endpoints) > 0 {
		cfg.Endpoints = endpoints
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.MaxCallSendMsgSize == 0 {
		cfg.MaxCallSendMsgSize = math.MaxInt32
	}
	if cfg.Logger == nil && cfg.LogConfig == nil {
		cfg.Logger = nopLogger
	}
	return cfg
}
