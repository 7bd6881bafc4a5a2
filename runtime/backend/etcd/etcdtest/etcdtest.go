// Package etcdtest starts in-process etcd clusters for tests, on loopback
// ports with their data under the test's temporary directory, and stops
// them when the test ends. It owns nothing but test scaffolding: production
// code must never import it.
//
// The members are tuned for tests, not for production: fsync is off (a
// killed process may lose the last writes, a stopped member does not),
// elections take a tenth of a second (see ElectionTimeout), logging is
// silent, and the limits on one transaction are raised to MaxTxnOps
// operations and MaxRequestBytes bytes so that tests may write large
// transactions.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

// Limits every member is started with. etcd's defaults are 128 operations
// and 1.5 MiB per request, which the storegen conformance suite exceeds
// (it commits 25,000 keys, and values of a mebibyte, in one transaction).
const (
	MaxTxnOps       = 100_000
	MaxRequestBytes = 8 << 20
)

// Timings for loopback: a heartbeat every 10 ms and, by default, an
// election after 100 ms of silence start a cluster in well under a second.
const (
	heartbeat       = 10 * time.Millisecond
	defaultElection = 100 * time.Millisecond
	// readyTimeout bounds the wait for a member to join its cluster, which
	// under the race detector on a loaded machine takes a few seconds.
	readyTimeout = 30 * time.Second
)

// Option changes how StartCluster starts its members.
type Option func(*settings)

type settings struct {
	election      time.Duration
	defaultLimits bool
}

// DefaultLimits starts the members with etcd's own limits on one
// transaction (128 operations, 1.5 MiB) instead of MaxTxnOps and
// MaxRequestBytes, for tests of code that must fit within them.
func DefaultLimits() Option {
	return func(s *settings) { s.defaultLimits = true }
}

// ElectionTimeout sets how long followers wait for their leader before
// electing another, 100 ms by default. A new cluster takes up to this long
// to elect its first leader, so keep it short; but etcd also gives every
// write 5 s plus twice this timeout to apply before failing it with
// "request timed out", so raise it for tests that commit transactions of
// tens of thousands of keys under the race detector.
func ElectionTimeout(d time.Duration) Option {
	return func(s *settings) { s.election = d }
}

// Cluster is a running set of in-process etcd members.
type Cluster struct {
	members []*Member
}

// Member is one etcd server of a Cluster. Its address and data directory
// stay the same across Stop and Restart.
type Member struct {
	name      string
	dir       string
	clientURL url.URL
	peerURL   url.URL
	// cluster is the initial-cluster string naming every member's peer URL.
	cluster  string
	token    string
	election time.Duration
	limits   bool // raised to MaxTxnOps and MaxRequestBytes

	mu   sync.Mutex
	etcd *embed.Etcd // nil while stopped
}

// Start starts a single-member cluster, which is what most tests need.
func Start(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	return StartCluster(t, 1, opts...)
}

// StartCluster starts a cluster of n members, waits until every member is
// ready to serve, and stops the cluster when t ends. It fails t if the
// cluster does not come up.
func StartCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	s := settings{election: defaultElection}
	for _, o := range opts {
		o(&s)
	}
	if n < 1 {
		t.Fatalf("etcdtest: a cluster needs at least one member, not %d", n)
	}
	ports, err := freePorts(2 * n)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	c := &Cluster{members: make([]*Member, n)}
	peers := make([]string, n)
	token := fmt.Sprintf("etcdtest-%d", time.Now().UnixNano())
	for i := range c.members {
		m := &Member{
			name:      fmt.Sprintf("m%d", i),
			dir:       filepath.Join(t.TempDir(), "etcd"),
			clientURL: url.URL{Scheme: "http", Host: ports[2*i]},
			peerURL:   url.URL{Scheme: "http", Host: ports[2*i+1]},
			token:     token,
			election:  s.election,
			limits:    !s.defaultLimits,
		}
		peers[i] = m.name + "=" + m.peerURL.String()
		c.members[i] = m
	}
	t.Cleanup(c.stop)
	for _, m := range c.members {
		m.cluster = strings.Join(peers, ",")
		if err := m.start(); err != nil {
			t.Fatalf("etcdtest: %v", err)
		}
	}
	for _, m := range c.members {
		if err := m.waitReady(); err != nil {
			t.Fatalf("etcdtest: %v", err)
		}
	}
	return c
}

// LeakOptions returns the goleak options a test package needs when it
// starts clusters of several members. Their members talk to each other over
// HTTP connections whose reads reset their own deadline, so stopping a
// member cannot interrupt them: they end up to five seconds later, when the
// read times out. The options ignore goroutines parked in those reads and
// nothing else of etcd's; a single-member cluster needs none of them.
func LeakOptions() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("net/http.(*connReader).backgroundRead"),
		goleak.IgnoreAnyFunction("net/http.(*connReader).abortPendingRead"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	}
}

// Endpoints returns the client URL of every member, for clientv3.Config.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.members))
	for i, m := range c.members {
		eps[i] = m.Endpoint()
	}
	return eps
}

// Member returns the i-th member, counting from 0.
func (c *Cluster) Member(i int) *Member { return c.members[i] }

// Client returns a plain etcd client on every member, closed when t ends,
// for tests that act on the cluster behind a backend's back (compaction,
// foreign keys).
func (c *Cluster) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:          c.Endpoints(),
		DialTimeout:        5 * time.Second,
		MaxCallSendMsgSize: MaxRequestBytes,
		Logger:             zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// stop stops every member at once. A member stopping alone hands its
// leadership over first, which here would wait seconds for a successor
// that is stopping too; so the raft loops stop without coordination, and
// then the members close.
func (c *Cluster) stop() {
	var wg sync.WaitGroup
	for _, m := range c.members {
		wg.Go(func() { m.stop(true) })
	}
	wg.Wait()
}

// Endpoint returns the member's client URL.
func (m *Member) Endpoint() string { return m.clientURL.String() }

// Name returns the member's name in its cluster: "m0", "m1", ….
func (m *Member) Name() string { return m.name }

// IsLeader reports whether the member is running and leads its cluster.
func (m *Member) IsLeader() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.etcd != nil && m.etcd.Server.Leader() == m.etcd.Server.MemberID()
}

// Stop shuts the member down and waits until it has, handing its
// leadership to another member first if it leads. Its data directory is
// kept for Restart.
func (m *Member) Stop() { m.stop(false) }

// stop shuts the member down; hard skips the handover of leadership.
func (m *Member) stop(hard bool) {
	m.mu.Lock()
	e := m.etcd
	m.etcd = nil
	m.mu.Unlock()
	if e == nil {
		return
	}
	if hard {
		e.Server.HardStop()
	}
	e.Close()
}

// Restart starts a stopped member again on the same ports and data
// directory, and waits until it is ready, which needs a quorum of the
// cluster to be running.
func (m *Member) Restart() error {
	if err := m.start(); err != nil {
		return err
	}
	return m.waitReady()
}

// start launches the member's server without waiting for it to join.
func (m *Member) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etcd != nil {
		return fmt.Errorf("member %s is already running", m.name)
	}
	e, err := embed.StartEtcd(m.config())
	if err != nil {
		return fmt.Errorf("start member %s: %w", m.name, err)
	}
	m.etcd = e
	return nil
}

func (m *Member) waitReady() error {
	m.mu.Lock()
	e := m.etcd
	m.mu.Unlock()
	if e == nil {
		return fmt.Errorf("member %s is stopped", m.name)
	}
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case err := <-e.Err():
		return fmt.Errorf("member %s: %w", m.name, err)
	case <-time.After(readyTimeout):
		return fmt.Errorf("member %s not ready after %v", m.name, readyTimeout)
	}
}

// config builds a fresh configuration each start: embed.Config holds state
// of the server it started and must not be reused.
func (m *Member) config() *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ListenClientUrls = []url.URL{m.clientURL}
	cfg.AdvertiseClientUrls = []url.URL{m.clientURL}
	cfg.ListenPeerUrls = []url.URL{m.peerURL}
	cfg.AdvertisePeerUrls = []url.URL{m.peerURL}
	cfg.InitialCluster = m.cluster
	cfg.InitialClusterToken = m.token
	cfg.TickMs = uint(heartbeat / time.Millisecond)
	cfg.ElectionMs = uint(m.election / time.Millisecond)
	if m.limits {
		cfg.MaxTxnOps = MaxTxnOps
		cfg.MaxRequestBytes = MaxRequestBytes
	}
	cfg.UnsafeNoFsync = true
	// etcd formats a slow request for its warning log even when nothing is
	// logged, which for a transaction of thousands of keys takes longer
	// than the request itself.
	cfg.WarningApplyDuration = time.Hour
	cfg.WarningUnaryRequestDuration = time.Hour
	cfg.EnableGRPCGateway = false
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	return cfg
}

// freePorts reserves n distinct loopback addresses by listening on port 0,
// holding every listener until all are chosen so none is handed out twice.
// Another process may still take a port between this and the member's
// start; on loopback in tests that is rare enough to accept.
func freePorts(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserve a port: %w", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}
