//lint:file-ignore SA1019 the classic dashboard model is what /api/dashboards/db and file provisioning take; dashboardv2 needs Grafana 12's new API.

package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/accesswatch/accesswatch/internal/metrics"
)

// Metric names the Prometheus dashboards use; internal/metrics registers them (a test checks).
var (
	mProbeResults   = metrics.Namespace + "_probe_results_total"
	mProbeDuration  = metrics.Namespace + "_probe_duration_seconds"
	mAccessState    = metrics.Namespace + "_access_state"
	mAccessSince    = metrics.Namespace + "_access_state_since_seconds"
	mVantageHealthy = metrics.Namespace + "_vantage_healthy"
	mVantageSeen    = metrics.Namespace + "_vantage_last_seen_timestamp_seconds"
	mVantageVerif   = metrics.Namespace + "_vantage_verified"
	mSpoolResults   = metrics.Namespace + "_spool_results"
	mIngestResults  = metrics.Namespace + "_ingest_results_total"
	mClockOffset    = metrics.Namespace + "_agent_clock_offset_seconds"
)

// sel is a label selector matching each label against its dashboard variable.
func sel(labels ...string) string {
	m := make([]string, len(labels))
	for i, l := range labels {
		m[i] = fmt.Sprintf(`%s=~"$%s"`, l, l)
	}
	return "{" + strings.Join(m, ",") + "}"
}

// withSel is sel with extra matchers first (state="revoked").
func withSel(extra string, labels ...string) string {
	return "{" + extra + "," + strings.TrimPrefix(sel(labels...), "{")
}

func promVariables() []cog.Builder[dashboard.VariableModel] {
	return []cog.Builder[dashboard.VariableModel]{
		variable(Prometheus, "provider", fmt.Sprintf("label_values(%s, provider)", mProbeResults)),
		variable(Prometheus, "model", fmt.Sprintf(`label_values(%s{provider=~"$provider"}, model)`, mProbeResults)),
		variable(Prometheus, "region", fmt.Sprintf("label_values(%s, region)", mProbeResults)),
		variable(Prometheus, "vantage", fmt.Sprintf(`label_values(%s{region=~"$region"}, vantage)`, mVantageHealthy)),
	}
}

// accessStateExpr encodes the one-hot accesswatch_access_state as one number per target, the
// index of its state in promStates, for a state timeline.
func accessStateExpr() string {
	var terms []string
	for i, s := range promStates() {
		if i == 0 {
			continue // unknown is 0: the sum when no other state is set
		}
		terms = append(terms, fmt.Sprintf("%d * sum by (provider, model, region) (%s%s)", i, mAccessState,
			withSel(fmt.Sprintf("state=%q", s.state), "provider", "model", "region")))
	}
	return strings.Join(terms, "\n+ ")
}

func promAccess() *dashboard.DashboardBuilder {
	revoked := mAccessState + withSel(`state="revoked"`, "provider", "model", "region") + " == 1"
	return newDashboard(UIDPrefix+"access-prometheus", "accesswatch · regional access (Prometheus)", Prometheus, promVariables()).
		Description("Region-level access states as the collector judges them (accesswatch_access_state).").
		Annotation(dashboard.NewAnnotationQueryBuilder().Name("revoked (Prometheus)").
			Datasource(dsRef(Prometheus)).Enable(false).IconColor("dark-red").
			Expr(revoked).Step("60s").TitleFormat("revoked").TagKeys("provider,model,region")).
		WithPanel(statetimeline.NewPanelBuilder().Id(1).Title("Access state by model × region").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, 0, 24, 12)).
			WithTarget(promTarget("A", accessStateExpr(), "{{provider}} {{model}} {{region}}", false)).
			Mappings(stateMap()).ShowValue(common.VisibilityModeNever).MergeValues(true)).
		WithPanel(table.NewPanelBuilder().Id(2).Title("Current state").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, 12, 16, 10)).
			WithTarget(promTarget("A", mAccessState+sel("provider", "model", "region")+" == 1", "", true))).
		WithPanel(table.NewPanelBuilder().Id(3).Title("In current state since").
			Datasource(dsRef(Prometheus)).GridPos(grid(16, 12, 8, 10)).Unit("dateTimeAsIso").
			WithTarget(promTarget("A", mAccessSince+sel("provider", "model", "region")+" * 1000", "", true)))
}

func promLatency() *dashboard.DashboardBuilder {
	d := newDashboard(UIDPrefix+"latency-prometheus", "accesswatch · latency (Prometheus)", Prometheus, promVariables()).
		Description("Probe phases (dns, connect, tls, first_byte, total) by vendor and region, from accesswatch_probe_duration_seconds.")
	for i, q := range quantiles() {
		expr := fmt.Sprintf("histogram_quantile(%g, sum by (le, provider, region, phase) (rate(%s_bucket%s[$__rate_interval])))",
			q.q, mProbeDuration, sel("provider", "region"))
		d.WithPanel(timeseries.NewPanelBuilder().Id(uint32(i + 1)).Title("Latency " + q.name + " by provider, region and phase").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, uint32(i)*10, 24, 10)).Unit("s").
			WithTarget(promTarget("A", expr, "{{provider}} {{region}} {{phase}}", false)))
	}
	return d
}

func promErrors() *dashboard.DashboardBuilder {
	byRegionClass := fmt.Sprintf("sum by (region, class) (increase(%s%s[$__rate_interval]))", mProbeResults, sel("provider", "model", "region"))
	byModel := fmt.Sprintf(`sum by (provider, model, region, class) (increase(%s%s[$__range]))`, mProbeResults,
		withSel(`class!="ok"`, "provider", "model", "region"))
	return newDashboard(UIDPrefix+"errors-prometheus", "accesswatch · error classes (Prometheus)", Prometheus, promVariables()).
		Description("Results by class per region (signatures and samples are on the InfluxDB dashboard: Prometheus labels carry no signature).").
		WithPanel(timeseries.NewPanelBuilder().Id(1).Title("Results by region and class").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, 0, 24, 10)).Unit("short").
			WithTarget(promTarget("A", byRegionClass, "{{region}} {{class}}", false))).
		WithPanel(table.NewPanelBuilder().Id(2).Title("Failures in range by model, region and class").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, 10, 24, 10)).
			WithTarget(promTarget("A", byModel+" > 0", "", true)))
}

func promFleet() *dashboard.DashboardBuilder {
	v := sel("vantage", "region")
	return newDashboard(UIDPrefix+"fleet-prometheus", "accesswatch · fleet health (Prometheus)", Prometheus, promVariables()).
		Description("Vantage health and verification, agent spools, collector ingest and agent clocks.").
		WithPanel(statetimeline.NewPanelBuilder().Id(1).Title("Vantage healthy (control checks pass)").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, 0, 12, 8)).
			WithTarget(promTarget("A", mVantageHealthy+v, "{{vantage}} {{region}}", false)).
			Mappings(boolMap("healthy", "unhealthy"))).
		WithPanel(statetimeline.NewPanelBuilder().Id(2).Title("Vantage verified (egress country matches)").
			Datasource(dsRef(Prometheus)).GridPos(grid(12, 0, 12, 8)).
			WithTarget(promTarget("A", mVantageVerif+v, "{{vantage}} {{region}} {{country}}", false)).
			Mappings(boolMap("verified", "mismatch"))).
		WithPanel(stat.NewPanelBuilder().Id(3).Title("Seconds since last result").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, 8, 24, 6)).Unit("s").
			WithTarget(promTarget("A", "time() - "+mVantageSeen+v, "{{vantage}}", true)).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))).
		WithPanel(timeseries.NewPanelBuilder().Id(4).Title("Agent spool (results waiting)").
			Datasource(dsRef(Prometheus)).GridPos(grid(0, 14, 8, 8)).Unit("short").
			WithTarget(promTarget("A", mSpoolResults, "{{instance}}", false))).
		WithPanel(timeseries.NewPanelBuilder().Id(5).Title("Ingest by agent and outcome").
			Datasource(dsRef(Prometheus)).GridPos(grid(8, 14, 8, 8)).Unit("short").
			WithTarget(promTarget("A", fmt.Sprintf("sum by (agent, outcome) (rate(%s[$__rate_interval]))", mIngestResults), "{{agent}} {{outcome}}", false))).
		WithPanel(timeseries.NewPanelBuilder().Id(6).Title("Agent clock offset").
			Datasource(dsRef(Prometheus)).GridPos(grid(16, 14, 8, 8)).Unit("s").
			WithTarget(promTarget("A", mClockOffset, "{{agent}}", false)))
}

// boolMap names and colors the 0/1 of a health gauge.
func boolMap(one, zero string) []dashboard.ValueMapping {
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: cog.ToPtr(zero), Color: cog.ToPtr("red"), Index: cog.ToPtr(int32(0))},
			"1": {Text: cog.ToPtr(one), Color: cog.ToPtr("green"), Index: cog.ToPtr(int32(1))},
		}}}}
}
