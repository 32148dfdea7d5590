//lint:file-ignore SA1019 the classic dashboard model is what /api/dashboards/db and file provisioning take; dashboardv2 needs Grafana 12's new API.

package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/accesswatch/accesswatch/collector/influx"
	"github.com/accesswatch/accesswatch/collector/influx/fluxq"
)

// newDashboard starts a dashboard of the given datasource kind with the common settings, the
// four variables and the event annotations.
func newDashboard(uid, title, kind string, vars []cog.Builder[dashboard.VariableModel]) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{Tag, kind}).
		Editable().
		Refresh("1m").
		Time("now-24h", "now").
		Timezone("utc").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Variables(vars).
		Annotation(eventAnnotations())
}

func influxVariables(bucket string) []cog.Builder[dashboard.VariableModel] {
	var vs []cog.Builder[dashboard.VariableModel]
	for _, tag := range Variables() {
		vs = append(vs, variable(Influx, tag, fluxq.TagValues(bucket, tag, fluxq.Range{Start: "v.timeRangeStart"})))
	}
	return vs
}

func influxAccess(bucket string) *dashboard.DashboardBuilder {
	f, r := fluxFilter(), fluxq.Dashboard()
	return newDashboard(UIDPrefix+"access-influx", "accesswatch · regional access (InfluxDB)", Influx, influxVariables(bucket)).
		Description("Access of each model in each region, from every probe result; red marks show events (revoked, restored …) the collector annotated.").
		WithPanel(statetimeline.NewPanelBuilder().Id(1).Title("Access by model × region").
			Description("Access of the last result in each window: available, revoked (policy), fault (vendor or path), misconfigured (ours), unknown.").
			Datasource(dsRef(Influx)).GridPos(grid(0, 0, 24, 12)).
			WithTarget(fluxTarget("A", fluxq.AccessTimeline(bucket, r, fluxq.DashboardWindow, f))).
			Mappings(valueMap(accessColors())).ShowValue(common.VisibilityModeNever).MergeValues(true)).
		WithPanel(table.NewPanelBuilder().Id(2).Title("Current access").
			Description("The latest result of each (provider, model, region).").
			Datasource(dsRef(Influx)).GridPos(grid(0, 12, 24, 10)).
			WithTarget(fluxTarget("A", fluxq.CurrentAccess(bucket, r, f))).
			OverrideByName(influx.TagAccess, cellColors()).
			Mappings(valueMap(accessColors())))
}

func influxLatency(bucket string) *dashboard.DashboardBuilder {
	f, r := fluxFilter(), fluxq.Dashboard()
	d := newDashboard(UIDPrefix+"latency-influx", "accesswatch · latency (InfluxDB)", Influx, influxVariables(bucket)).
		Description("Probe phases (dns, connect, tls, first byte, total) by vendor and region.")
	for i, q := range quantiles() {
		d.WithPanel(timeseries.NewPanelBuilder().Id(uint32(i + 1)).Title("Latency " + q.name + " by provider, region and phase").
			Datasource(dsRef(Influx)).GridPos(grid(0, uint32(i)*10, 24, 10)).Unit("ms").
			WithTarget(fluxTarget("A", fluxq.LatencyQuantile(bucket, r, fluxq.DashboardWindow, q.q, f))))
	}
	return d
}

func influxErrors(bucket string) *dashboard.DashboardBuilder {
	f, r, w := fluxFilter(), fluxq.Dashboard(), fluxq.DashboardWindow
	return newDashboard(UIDPrefix+"errors-influx", "accesswatch · error signatures (InfluxDB)", Influx, influxVariables(bucket)).
		Description("Results by class and by stable error signature, per region, with the latest sample of each signature.").
		WithPanel(timeseries.NewPanelBuilder().Id(1).Title("Results by region and class").
			Datasource(dsRef(Influx)).GridPos(grid(0, 0, 12, 10)).Unit("short").
			WithTarget(fluxTarget("A", fluxq.ClassCounts(bucket, r, w, f)))).
		WithPanel(timeseries.NewPanelBuilder().Id(2).Title("Results by region, class and signature").
			Datasource(dsRef(Influx)).GridPos(grid(12, 0, 12, 10)).Unit("short").
			WithTarget(fluxTarget("A", fluxq.SignatureCounts(bucket, r, w, f)))).
		WithPanel(table.NewPanelBuilder().Id(3).Title("Latest result of each signature").
			Description("result_id fetches the full result, with its body excerpt, from the collector API (/api/v1/results/{id}).").
			Datasource(dsRef(Influx)).GridPos(grid(0, 10, 24, 12)).
			WithTarget(fluxTarget("A", fluxq.LatestBySignature(bucket, r, f))))
}

func influxFleet(bucket string) *dashboard.DashboardBuilder {
	f, r := fluxFilter(), fluxq.Dashboard()
	return newDashboard(UIDPrefix+"fleet-influx", "accesswatch · fleet health (InfluxDB)", Influx, influxVariables(bucket)).
		Description("Vantages as the stored results show them; spool, ingest and verification are on the Prometheus fleet dashboard.").
		WithPanel(table.NewPanelBuilder().Id(1).Title("Vantages, least recently seen first").
			Datasource(dsRef(Influx)).GridPos(grid(0, 0, 24, 10)).
			WithTarget(fluxTarget("A", fluxq.VantageLastSeen(bucket, r, f)))).
		WithPanel(timeseries.NewPanelBuilder().Id(2).Title("Availability by provider, model and region").
			Datasource(dsRef(Influx)).GridPos(grid(0, 10, 24, 10)).Unit("percentunit").Min(0).Max(1).
			WithTarget(fluxTarget("A", fluxq.Availability(bucket, r, fluxq.DashboardWindow, f))))
}

type quantile struct {
	name string
	q    float64
}

func quantiles() []quantile { return []quantile{{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}} }

// cellColors colors a table column's cells by its value mapping.
func cellColors() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "custom.cellOptions", Value: map[string]any{"type": "color-background"}}}
}
