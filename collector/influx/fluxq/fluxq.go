// Package fluxq holds every Flux query run against the InfluxDB schema of collector/influx:
// the collector's integration tests run them now, and the Grafana dashboards embed the same text.
// Each builder returns query text; names of the measurement, tags and fields come from the
// constants in collector/influx, so renaming one changes every query (and breaks the tests that
// read the real database back), never silently a dashboard.
//
// Parameters are strings so that Grafana variables can stand in for values: a Range of
// "v.timeRangeStart"/"v.timeRangeStop", a window of "v.windowPeriod", and Regex filters of
// "${provider:regex}". The builders target Flux 0.65 (InfluxDB 1.8) and later.
package fluxq

import (
	"fmt"
	"strconv"

	"github.com/accesswatch/accesswatch/collector/influx"
)

// Range is a query's time range as Flux expressions, inserted verbatim: a relative duration
// ("-6h"), an RFC 3339 time ("2024-05-01T00:00:00Z") or a Grafana variable. Empty Stop means now.
type Range struct {
	Start, Stop string
}

// Last is the range from d ago until now, d a Flux duration such as "1h".
func Last(d string) Range { return Range{Start: "-" + d} }

// Dashboard is Grafana's time range (its Flux datasource defines these variables).
func Dashboard() Range { return Range{Start: "v.timeRangeStart", Stop: "v.timeRangeStop"} }

// DashboardWindow is Grafana's window variable, for the window parameter.
const DashboardWindow = "v.windowPeriod"

// Filter narrows a query to some providers, models, regions and vantages; empty values match all.
type Filter struct {
	Provider, Model, Region, Vantage string
	// Regex makes each value a regular expression that must match the whole tag value, as
	// Grafana's ${var:regex} formatting produces ("(a|b)", ".*" for All); otherwise values are
	// compared exactly.
	Regex bool
}

// Phases are the latency fields, in the order a request goes through them, total last.
func Phases() []string {
	return []string{influx.FieldDNSMs, influx.FieldConnectMs, influx.FieldTLSMs, influx.FieldFirstByteMs, influx.FieldTotalMs}
}

// Availability is the share of answered probes (mean of ok, 0..1) per (provider, model, region)
// and window. Checks without a model (control, status page) are left out.
func Availability(bucket string, r Range, window string, f Filter) string {
	return build(bucket, r, f, []string{influx.FieldOK},
		"filter(fn: (r) => exists r."+influx.TagModel+")",
		group(influx.TagProvider, influx.TagModel, influx.TagRegion),
		fmt.Sprintf("aggregateWindow(every: %s, fn: mean, createEmpty: false)", window),
		`yield(name: "availability")`)
}

// LatencyQuantile is the q-quantile (0.5, 0.95, 0.99) of each phase's latency in ms per
// (provider, region, phase) and window; the phase is the _field column (dns_ms, …, total_ms).
func LatencyQuantile(bucket string, r Range, window string, q float64, f Filter) string {
	return build(bucket, r, f, Phases(),
		group(influx.TagProvider, influx.TagRegion, "_field"),
		fmt.Sprintf(`aggregateWindow(every: %s, fn: (column, tables=<-) => tables |> quantile(q: %s, column: column, method: "estimate_tdigest", compression: 1000.0), createEmpty: false)`,
			window, strconv.FormatFloat(q, 'f', -1, 64)),
		fmt.Sprintf(`yield(name: "latency_q%s")`, strconv.FormatFloat(q, 'f', -1, 64)))
}

// ClassCounts is the number of results per (region, class) and window.
func ClassCounts(bucket string, r Range, window string, f Filter) string {
	return build(bucket, r, f, []string{influx.FieldOK},
		group(influx.TagRegion, influx.TagClass),
		fmt.Sprintf("aggregateWindow(every: %s, fn: count, createEmpty: false)", window),
		`yield(name: "class_counts")`)
}

// SignatureCounts is the number of results per (region, class, signature) and window; the
// signature, a field, is copied into a column of that name to group on.
func SignatureCounts(bucket string, r Range, window string, f Filter) string {
	return build(bucket, r, f, []string{influx.FieldSignature},
		fmt.Sprintf("duplicate(column: %q, as: %q)", "_value", influx.FieldSignature),
		group(influx.TagRegion, influx.TagClass, influx.FieldSignature),
		fmt.Sprintf("aggregateWindow(every: %s, fn: count, createEmpty: false)", window),
		`yield(name: "signature_counts")`)
}

// LatestBySignature is one table with the most recent result of each signature: when, where,
// which model, the HTTP status, vendor request id, edge and result id (for the excerpt),
// newest first.
func LatestBySignature(bucket string, r Range, f Filter) string {
	fields := []string{influx.FieldSignature, influx.FieldHTTPStatus, influx.FieldRequestID,
		influx.FieldEdgeColo, influx.FieldResultID}
	return build(bucket, r, f, fields,
		`pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		fmt.Sprintf(`filter(fn: (r) => exists r.%s and r.%[1]s != "")`, influx.FieldSignature),
		group(influx.FieldSignature),
		`sort(columns: ["_time"])`,
		`last(column: "_time")`,
		`group()`,
		keep(append([]string{"_time", influx.TagClass, influx.TagProvider, influx.TagModel,
			influx.TagRegion, influx.TagVantage}, fields...)...),
		`sort(columns: ["_time"], desc: true)`,
		`yield(name: "latest_by_signature")`)
}

// VantageLastSeen is one table with the time of each vantage's most recent result, with its
// region and country, least recently seen first.
func VantageLastSeen(bucket string, r Range, f Filter) string {
	return build(bucket, r, f, []string{influx.FieldOK},
		`last()`, // per series first: cheap, and each series is in time order
		group(influx.TagVantage),
		`sort(columns: ["_time"])`,
		`last()`,
		`group()`,
		keep("_time", influx.TagVantage, influx.TagRegion, influx.TagCountry),
		`sort(columns: ["_time"])`,
		`yield(name: "vantage_last_seen")`)
}

// AccessTimeline is the access of the last result (available, revoked, fault, misconfigured,
// unknown) per (provider, model, region) and window, as the string _value, for a state timeline.
func AccessTimeline(bucket string, r Range, window string, f Filter) string {
	return build(bucket, r, f, []string{influx.FieldOK},
		"filter(fn: (r) => exists r."+influx.TagModel+")",
		fmt.Sprintf("map(fn: (r) => ({r with _value: r.%s}))", influx.TagAccess),
		group(influx.TagProvider, influx.TagModel, influx.TagRegion),
		`sort(columns: ["_time"])`,
		fmt.Sprintf("aggregateWindow(every: %s, fn: last, createEmpty: false)", window),
		keep("_time", "_value", influx.TagProvider, influx.TagModel, influx.TagRegion),
		`yield(name: "access_timeline")`)
}

// CurrentAccess is one table with the access of the latest result per (provider, model, region):
// the current matrix.
func CurrentAccess(bucket string, r Range, f Filter) string {
	return build(bucket, r, f, []string{influx.FieldOK},
		"filter(fn: (r) => exists r."+influx.TagModel+")",
		`last()`,
		group(influx.TagProvider, influx.TagModel, influx.TagRegion),
		`sort(columns: ["_time"])`,
		`last()`,
		`group()`,
		keep("_time", influx.TagProvider, influx.TagModel, influx.TagRegion, influx.TagAccess, influx.TagClass),
		fmt.Sprintf("sort(columns: [%q, %q, %q])", influx.TagProvider, influx.TagModel, influx.TagRegion),
		`yield(name: "current_access")`)
}

// Named is one query with a stable name, for tests and dashboards that walk them all.
type Named struct {
	Name, Query string
}

// All returns every query for the given parameters, the latency quantile at 0.95.
func All(bucket string, r Range, window string, f Filter) []Named {
	return []Named{
		{"availability", Availability(bucket, r, window, f)},
		{"latency_p95", LatencyQuantile(bucket, r, window, 0.95, f)},
		{"class_counts", ClassCounts(bucket, r, window, f)},
		{"signature_counts", SignatureCounts(bucket, r, window, f)},
		{"latest_by_signature", LatestBySignature(bucket, r, f)},
		{"vantage_last_seen", VantageLastSeen(bucket, r, f)},
		{"access_timeline", AccessTimeline(bucket, r, window, f)},
		{"current_access", CurrentAccess(bucket, r, f)},
	}
}
