package metrics_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/codec"
	"github.com/synapsed/storegen/runtime/metrics"
	"github.com/synapsed/storegen/runtime/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// user is written the way storegen generates code for
//
//	type user struct {
//		ID       string `store:"key"`
//		Name     string
//		Password string `store:"sensitive"`
//	}
type user struct {
	ID       string
	Name     string
	Password string
}

func userSchema(name string) *store.Schema[string, user] {
	return &store.Schema[string, user]{
		Name:      name,
		AppendKey: codec.AppendKeyString,
		KeyOf:     func(v *user) string { return v.ID },
		Encode: func(dst []byte, v *user) ([]byte, error) {
			dst = append(dst, codec.Version)
			dst = codec.AppendStringField(dst, 1, 0x10, v.ID)
			dst = codec.AppendStringField(dst, 2, 0x10, v.Name)
			return codec.AppendStringField(dst, 3, 0x10, v.Password), nil
		},
		Decode: func(b []byte, v *user) error {
			*v = user{}
			r := codec.NewReader(b)
			for r.Next() {
				switch s := string(r.Payload()); r.ID() {
				case 1:
					v.ID = s
				case 2:
					v.Name = s
				case 3:
					v.Password = s
				}
			}
			return r.Err()
		},
		Redact: func(v *user) { v.Password = "" },
	}
}

const (
	adminToken   = "admin-token-0123456789"
	usersToken   = "users-only-token"
	nothingToken = "token-with-no-stores"
)

// fixture is a DB with two stores and some history, served by Handler.
type fixture struct {
	db            *store.DB
	users, vaults *store.Table[string, user]
	srv           *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	probe := store.NewProbe("remote")
	db, err := store.Open(memory.New(), store.WithName("app"), store.WithProbe(probe))
	require.NoError(t, err)
	f := &fixture{db: db, users: store.NewTable(db, userSchema("users"))}
	vault := userSchema("vaults")
	vault.SensitiveKey = true
	vault.Redact = func(v *user) { v.ID, v.Password = "", "" } // the key's fields are sensitive too
	f.vaults = store.NewTable(db, vault)
	require.NoError(t, f.users.Put(ctx, user{ID: "u1", Name: "Ann", Password: "hunter2"}))
	require.ErrorIs(t, f.users.Insert(ctx, user{ID: "u1"}), store.ErrExists)
	_, err = f.users.Get(ctx, "u1")
	require.NoError(t, err)
	_, err = f.users.Get(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, f.vaults.Put(ctx, user{ID: "v1", Password: "s3cret"}))
	require.NoError(t, db.Flush(ctx))
	probe.RoundTrip(time.Millisecond, nil)
	probe.RoundTrip(2*time.Millisecond, errors.New("reset"))
	sub := f.users.Watch(ctx, store.Buffer(1), store.OnOverflow(store.DropNewest))
	t.Cleanup(sub.Close)
	require.NoError(t, f.users.Put(ctx, user{ID: "u2"}))
	require.NoError(t, f.users.Put(ctx, user{ID: "u3"}))
	db.Circuit().Await()

	f.srv = httptest.NewServer(metrics.Handler(db, metrics.HandlerOptions{
		BearerToken: adminToken,
		Stores:      map[string][]string{usersToken: {"users"}, nothingToken: nil},
	}))
	t.Cleanup(func() {
		f.srv.Close()
		db.Close()
	})
	return f
}

// get requests path with token ("" for none).
func (f *fixture) get(t *testing.T, path, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

func TestScrapePassesPromtool(t *testing.T) {
	f := newFixture(t)
	res, body := f.get(t, "/metrics", adminToken)
	require.Equal(t, http.StatusOK, res.StatusCode)

	for _, line := range []string{
		`storegen_store_operations_total{db="app",operation="put",store="users"} 3`,
		`storegen_store_operations_total{db="app",operation="get",store="users"} 2`,
		`storegen_store_rejections_total{db="app",operation="insert",store="users"} 1`,
		`storegen_store_errors_total{db="app",operation="get",store="users"} 0`,
		`storegen_store_operation_duration_seconds_count{db="app",operation="get",store="users"} 2`,
		`storegen_store_condition{condition="STABLE",db="app",store="users"} 1`,
		`storegen_store_condition{condition="DOWN",db="app",store="users"} 0`,
		`storegen_store_confidence{confidence="TENTATIVE",db="app",store="users"} 1`,
		`storegen_store_subscribers{db="app",store="users"} 1`,
		`storegen_store_subscriber_lag_events{db="app",store="users"} 1`,
		`storegen_store_subscriber_dropped_events_total{db="app",store="users"} 1`,
		`storegen_db_operations_total{db="app",operation="flush"} 1`,
		`storegen_db_situation{db="app",situation="NORMAL"} 1`,
		`storegen_backend_condition{condition="STABLE",db="app"} 1`,
		`storegen_backend_keys{db="app"} 4`,
		`storegen_resource_used_bytes{db="app",resource="memory"} `,
		`storegen_network_round_trips_total{db="app",probe="remote"} 2`,
		`storegen_network_errors_total{db="app",probe="remote"} 1`,
	} {
		assert.Contains(t, body, line)
	}
	assert.NotContains(t, body, "hunter2")
	assert.NotContains(t, body, `"u1"`, "no keys in labels")

	promtool, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool is needed to check the exposition: apt-get install prometheus")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics:\n%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "promtool's lint")
}

// TestCollectorIsConsistent registers the collector pedantically: what it
// collects must match what it describes.
func TestCollectorIsConsistent(t *testing.T) {
	f := newFixture(t)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(metrics.NewCollector(f.db)))
	families, err := reg.Gather()
	require.NoError(t, err)
	assert.NotEmpty(t, families)
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"no token", "/metrics", "", http.StatusUnauthorized},
		{"wrong token", "/metrics", "wrong", http.StatusUnauthorized},
		{"a prefix of the token", "/status", adminToken[:5], http.StatusUnauthorized},
		{"no token on an unknown path", "/secret", "", http.StatusUnauthorized},
		{"no token for events", "/events?store=users", "", http.StatusUnauthorized},
		{"admin metrics", "/metrics", adminToken, http.StatusOK},
		{"admin status", "/status", adminToken, http.StatusOK},
		{"limited token reads metrics", "/metrics", usersToken, http.StatusOK},
		{"limited token reads status", "/status", usersToken, http.StatusOK},
		{"limited token, a store it may not watch", "/events?store=vaults", usersToken, http.StatusForbidden},
		{"limited token, a store that does not exist", "/events?store=ghosts", usersToken, http.StatusForbidden},
		{"token with no stores", "/events?store=users", nothingToken, http.StatusForbidden},
		{"admin, a store that does not exist", "/events?store=ghosts", adminToken, http.StatusNotFound},
		{"events without a store", "/events", adminToken, http.StatusBadRequest},
		{"unknown path", "/secret", adminToken, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.get(t, tc.path, tc.token)
			assert.Equal(t, tc.status, res.StatusCode)
			if tc.status >= 400 {
				assert.Equal(t, strings.ToLower(http.StatusText(tc.status))+"\n", body, "the body says nothing more")
			}
			if tc.status == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="storegen"`, res.Header.Get("WWW-Authenticate"))
			}
		})
	}

	// With no token configured, nothing gets in.
	closed := httptest.NewServer(metrics.Handler(f.db, metrics.HandlerOptions{Stores: map[string][]string{"": {"*"}}}))
	defer closed.Close()
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		req, err := http.NewRequest(http.MethodGet, closed.URL+"/status", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", auth)
		res, err := closed.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "%q", auth)
	}
}

func TestStatusJSON(t *testing.T) {
	f := newFixture(t)
	res, body := f.get(t, "/status", adminToken)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))

	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, "app", doc["db"])
	assert.Equal(t, "NORMAL", doc["situation"])
	assert.NotEmpty(t, doc["time"])
	perf := doc["performance"].(map[string]any)
	for _, key := range []string{"time", "ops_per_second", "avg_latency_ns", "p95_latency_ns", "error_rate", "cache_layer", "cache_hit_rate", "condition", "confidence"} {
		assert.Contains(t, perf, key)
	}
	assert.Equal(t, "STABLE", perf["condition"])
	res2 := doc["resources"].(map[string]any)
	for _, key := range []string{"memory", "disk", "network", "backend"} {
		assert.Contains(t, res2, key)
	}
	memory := res2["memory"].(map[string]any)
	for _, key := range []string{"used_bytes", "capacity_bytes", "utilisation", "condition", "confidence"} {
		assert.Contains(t, memory, key)
	}
	stores := doc["stores"].([]any)
	require.Len(t, stores, 2)
	users := stores[0].(map[string]any)
	assert.Equal(t, "users", users["name"])
	assert.Equal(t, "STABLE", users["condition"])
	assert.Equal(t, "TENTATIVE", users["confidence"])
	assert.Equal(t, "users", users["performance"].(map[string]any)["store"])
	assert.Equal(t, 1.0, users["subscribers"])
	assert.Equal(t, "vaults", stores[1].(map[string]any)["name"])
	assert.NotContains(t, body, "hunter2")
}

// sse reads the events of a Server-Sent Events stream.
type sse struct{ r *bufio.Reader }

// next returns the next event's name and data.
func (s sse) next(t *testing.T) (event, data string) {
	t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// stream opens /events for store with token.
func (f *fixture) stream(t *testing.T, ctx context.Context, name, token string) sse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/events?store="+name, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	return sse{bufio.NewReader(res.Body)}
}

func TestEventsAreRedacted(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	users := f.stream(t, ctx, "users", usersToken)
	vaults := f.stream(t, ctx, "vaults", adminToken)
	// The streams are open once their headers arrived; wait for the
	// subscriptions to be counted, so that the changes below reach them.
	require.Eventually(t, func() bool {
		n := 0
		for _, s := range f.db.Counters().Stores {
			n += s.Subscribers
		}
		return n == 3 // the fixture's, and the two streams'
	}, 5*time.Second, 5*time.Millisecond)

	require.NoError(t, f.users.Put(ctx, user{ID: "u9", Name: "Bob", Password: "hunter2"}))
	require.NoError(t, f.vaults.Put(ctx, user{ID: "v9", Name: "Eve", Password: "s3cret"}))

	event, data := users.next(t)
	assert.Equal(t, "change", event)
	assert.NotContains(t, data, "hunter2")
	var e store.EventJSON
	require.NoError(t, json.Unmarshal([]byte(data), &e))
	assert.Equal(t, "users", e.Store)
	assert.Equal(t, "Created", e.Kind)
	assert.Equal(t, "u9", e.Key)
	assert.JSONEq(t, `{"ID":"u9","Name":"Bob","Password":""}`, string(e.New))

	event, data = vaults.next(t)
	assert.Equal(t, "change", event)
	assert.NotContains(t, data, "s3cret")
	assert.NotContains(t, data, "v9", "the vault's keys are sensitive")
	require.NoError(t, json.Unmarshal([]byte(data), &e))
	assert.Equal(t, store.Redacted, e.Key)
	assert.JSONEq(t, `{"ID":"","Name":"Eve","Password":""}`, string(e.New))
}

// TestEventsEndWithTheDB checks that a stream says so when it ends on the
// server's side.
func TestEventsEndWithTheDB(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := f.stream(t, ctx, "users", adminToken)
	require.Eventually(t, func() bool { return f.db.Counters().Stores[0].Subscribers+f.db.Counters().Stores[1].Subscribers == 2 },
		5*time.Second, 5*time.Millisecond)
	require.NoError(t, f.db.Close())
	event, _ := s.next(t)
	assert.Equal(t, "end", event)
}

// BenchmarkScrape50Stores serves /metrics for a DB of 50 stores, each
// with gets, puts and a subscription: the target is under 5 ms a scrape.
func BenchmarkScrape50Stores(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(b, err)
	defer db.Close()
	for i := range 50 {
		s := store.NewTable(db, userSchema(fmt.Sprintf("store%02d", i)))
		for j := range 20 {
			require.NoError(b, s.Put(ctx, user{ID: fmt.Sprint(j)}))
			_, err := s.Get(ctx, fmt.Sprint(j))
			require.NoError(b, err)
		}
		sub := s.Watch(ctx)
		defer sub.Close()
	}
	h := metrics.Handler(db, metrics.HandlerOptions{BearerToken: adminToken})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/scrape")
	b.ReportMetric(float64(size), "bytes/scrape")
}
