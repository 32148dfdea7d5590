// Package metrics holds accesswatch's Prometheus metrics (namespace "accesswatch"): probe
// results, per-region access states and vantage health, which both the agent and the collector
// export, and the collector's and agent's own plumbing (ingest, spool, InfluxDB writes,
// notifier deliveries, store), which is read from small Stats structs at scrape time so this
// package imports none of the packages it reports on.
//
// Everything registers on an injected prometheus.Registerer; nothing is global.
//
// Cardinality. Every label takes its values from a closed set or from the configuration:
//   - class is one of model.Classes() (an unknown class is counted as "unexpected_response"),
//     state is one of model.States() (an unknown state is exported as "unknown"), phase is one of
//     dns, connect, tls, first_byte, total, outcome is a fixed list per metric;
//   - provider, model, region, vantage, check, agent and receiver come from the configuration.
//     With Options.Closed (which the service always sets) a result, state or vantage naming a
//     value not listed in Options is not exported at all, only counted in
//     accesswatch_metrics_unlisted_total{what}: however many names reach it, the series are
//     bounded by the configuration. Without it, unlisted values are exported, just not
//     pre-created at zero.
//
// No label ever carries a result id, an error signature or error text.
//
// Pre-created series: accesswatch_probe_results_total for every (provider × model × region ×
// class), accesswatch_probe_duration_seconds for every (provider × region × phase), and
// accesswatch_access_state for every (provider × model × region) with state "unknown" set, so
// rate() and dashboards show zero rather than "no data" before the first failure.
package metrics
