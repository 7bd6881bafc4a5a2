package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/examples/quickstart/model"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/metrics"
	"github.com/synapsed/storegen/runtime/store"
)

// metricName matches the storegen metric names in an expression.
var metricName = regexp.MustCompile(`\bstoregen_[a-z0-9_]+`)

// promtool returns the path of promtool, failing the test without it.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool is needed to check the rules: apt-get install -y prometheus")
	return path
}

// scrapedNames gathers metrics.NewCollector over a small memory-backed DB
// with some history and returns the names of the series it exports, a
// histogram's _bucket, _sum and _count included.
func scrapedNames(t *testing.T) map[string]bool {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(memory.New(), store.WithName("shop"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	customers := model.NewCustomerStore(db)
	orders := model.NewOrderStore(db)
	sub := orders.Watch(ctx, store.Buffer(1))
	t.Cleanup(sub.Close)
	require.NoError(t, customers.Put(ctx, model.Customer{ID: "c1", Email: "ann@example.com", Name: "Ann"}))
	_, err = customers.Get(ctx, "c1")
	require.NoError(t, err)
	_, err = customers.Get(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, orders.Put(ctx, model.Order{CustomerID: "c1", OrderID: 1}))
	require.NoError(t, db.Flush(ctx))

	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(db))
	families, err := reg.Gather()
	require.NoError(t, err)
	names := make(map[string]bool)
	for _, f := range families {
		names[f.GetName()] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+suffix] = true
			}
		}
	}
	// The families the files rely on must be there at all.
	for _, name := range []string{"storegen_store_operations_total", "storegen_store_condition", "storegen_backend_disk_bytes"} {
		require.True(t, names[name], "the scrape has no %s:\n%v", name, names)
	}
	return names
}

// requireScraped checks that every storegen metric name in exprs is one
// the collector exports, and that exprs use some.
func requireScraped(t *testing.T, what string, exprs []string, scraped map[string]bool) {
	t.Helper()
	used := 0
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			used++
			require.True(t, scraped[name], "%s uses %s, which the collector does not export, in\n%s", what, name, e)
		}
	}
	require.Positive(t, used, "%s uses no storegen metric", what)
}

func TestAlertRules(t *testing.T) {
	out, err := exec.Command(promtool(t), "check", "rules", "prometheus-alerts.yml").CombinedOutput()
	require.NoError(t, err, "promtool check rules:\n%s", out)

	rules, err := os.ReadFile("prometheus-alerts.yml")
	require.NoError(t, err)
	for _, alert := range []string{"DEGRADED", "DEFECTIVE", "DOWN", "CRITICAL", "subscriber_dropped_events_total", "store_errors_total"} {
		require.Contains(t, string(rules), alert)
	}
	requireScraped(t, "prometheus-alerts.yml", []string{string(rules)}, scrapedNames(t))
}

func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("grafana-dashboard.json")
	require.NoError(t, err)
	var dash struct {
		SchemaVersion int `json:"schemaVersion"`
		Templating    struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.GreaterOrEqual(t, dash.SchemaVersion, 36)
	var vars []string
	var exprs []string
	for _, v := range dash.Templating.List {
		vars = append(vars, v.Name)
		if v.Type == "query" {
			exprs = append(exprs, string(v.Query))
		}
	}
	require.Subset(t, vars, []string{"DS_PROMETHEUS", "store"})
	require.GreaterOrEqual(t, len(dash.Panels), 6)
	var panelExprs []string
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, "panel %q has no queries", p.Title)
		for _, target := range p.Targets {
			require.NotEmpty(t, target.Expr, "panel %q has a query without an expression", p.Title)
			panelExprs = append(panelExprs, target.Expr)
		}
	}
	require.True(t, slices.ContainsFunc(panelExprs, func(e string) bool {
		return strings.Contains(e, "histogram_quantile(0.95") && strings.Contains(e, "_bucket")
	}), "no p95 latency panel")
	requireScraped(t, "grafana-dashboard.json", append(exprs, panelExprs...), scrapedNames(t))

	// The panels' PromQL must parse: promtool checks it as recording rules,
	// Grafana's variables replaced by what they stand for.
	vars2 := strings.NewReplacer("$__rate_interval", "5m", "$store", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range panelExprs {
		fmt.Fprintf(&rules, "      - record: dashboard:panel%d\n        expr: %q\n", i, vars2.Replace(e))
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	require.NoError(t, os.WriteFile(file, []byte(rules.String()), 0o600))
	out, err := exec.Command(promtool(t), "check", "rules", file).CombinedOutput()
	require.NoError(t, err, "promtool check rules of the dashboard's queries:\n%s\n%s", out, rules.String())
}
