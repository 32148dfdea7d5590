// Package dashboards builds accesswatch's Grafana dashboards as code with the Grafana
// Foundation SDK, for the InfluxDB (Flux) datasource and for the Prometheus datasource:
// regional access, latency, error signatures and fleet health.
//
// Flux text comes from collector/influx/fluxq, the package the collector's InfluxDB integration tests
// run, and Prometheus expressions name metrics by internal/metrics' namespace, so a renamed
// field or metric breaks a test here rather than a dashboard in production.
//
// Export writes the dashboards as JSON plus Grafana provisioning files; Publish creates or
// updates them through Grafana's HTTP API, overwriting only dashboards accesswatch made.
package dashboards
