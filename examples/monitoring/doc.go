// Package monitoring holds example Prometheus alerting rules
// (prometheus-alerts.yml) and a Grafana dashboard (grafana-dashboard.json)
// for the metrics of runtime/metrics. Its test checks the rules with
// promtool and that every metric they and the dashboard use is one that
// metrics.NewCollector exports.
package monitoring
