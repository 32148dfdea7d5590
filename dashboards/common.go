package dashboards

import (
	"slices"
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/accesswatch/accesswatch/collector/influx"
	"github.com/accesswatch/accesswatch/collector/influx/fluxq"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Datasource types, as Dashboard.Datasource and Grafana's plugin ids.
const (
	Influx     = "influxdb"
	Prometheus = "prometheus"
)

// Datasource uids: the provisioned datasources carry them, every panel refers to them.
const (
	InfluxUID     = "accesswatch-influxdb"
	PrometheusUID = "accesswatch-prometheus"
)

// Tag marks every dashboard (and every annotation) accesswatch makes; UIDPrefix starts every
// dashboard uid. Publish overwrites only dashboards with one or the other.
const (
	Tag       = "accesswatch"
	UIDPrefix = "accesswatch-"
)

// DefaultBucket is the InfluxDB bucket the dashboards read unless Options says otherwise,
// the default of deploy/examples/collector.yml.
const DefaultBucket = "accesswatch"

// Variables are the template variables of every dashboard, in order.
func Variables() []string {
	return []string{influx.TagProvider, influx.TagModel, influx.TagRegion, influx.TagVantage}
}

func dsRef(kind string) common.DataSourceRef {
	uid := InfluxUID
	if kind == Prometheus {
		uid = PrometheusUID
	}
	return common.DataSourceRef{Type: cog.ToPtr(kind), Uid: cog.ToPtr(uid)}
}

// fluxFilter narrows a Flux query to the selected variable values.
func fluxFilter() fluxq.Filter {
	return fluxq.Filter{Provider: "${provider:regex}", Model: "${model:regex}",
		Region: "${region:regex}", Vantage: "${vantage:regex}", Regex: true}
}

// fluxTarget is an InfluxDB Flux query; the SDK has no InfluxDB query type, so it is an
// untyped one with the fields Grafana's InfluxDB plugin reads.
func fluxTarget(refID, query string) cog.Builder[variants.Dataquery] {
	ds := dsRef(Influx)
	return variants.NewUnknownDataqueryBuilderFromObject(variants.UnknownDataquery{
		"refId":      refID,
		"datasource": map[string]any{"type": *ds.Type, "uid": *ds.Uid},
		"query":      query,
	})
}

// promTarget is a Prometheus range query (instant when instant is set).
func promTarget(refID, expr, legend string, instant bool) cog.Builder[variants.Dataquery] {
	b := prometheus.NewDataqueryBuilder().RefId(refID).Expr(expr).Datasource(dsRef(Prometheus))
	if legend != "" {
		b.LegendFormat(legend)
	}
	if instant {
		b.Instant().Format(prometheus.PromQueryFormatTable)
	} else {
		b.Range()
	}
	return b
}

// variable is a multi-value query variable with All (".*", so ${x:regex} and =~"$x" match all).
func variable(kind, name, query string) cog.Builder[dashboard.VariableModel] {
	return dashboard.NewQueryVariableBuilder(name).
		Label(name).
		Datasource(dsRef(kind)).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Multi(true).
		IncludeAll(true).
		AllValue(".*").
		Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true),
			Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr("All")},
			Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr("$__all")},
		}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
}

// eventAnnotations shows the annotations the collector posts (alerting/grafana), by tag.
func eventAnnotations() cog.Builder[dashboard.AnnotationQuery] {
	return dashboard.NewAnnotationQueryBuilder().
		Name("accesswatch events").
		Datasource(common.DataSourceRef{Type: cog.ToPtr("grafana"), Uid: cog.ToPtr("-- Grafana --")}).
		Enable(true).
		IconColor("red").
		Type("tags").
		Target(variants.NewUnknownDataqueryBuilderFromObject(variants.UnknownDataquery{
			"type": "tags", "tags": []string{Tag}, "matchAny": false, "limit": 500,
		}))
}

func grid(x, y, w, h uint32) dashboard.GridPos {
	return dashboard.GridPos{X: x, Y: y, W: w, H: h}
}

// valueMap maps values to display colors, for access and state values.
func valueMap(colors map[string]string) []dashboard.ValueMapping {
	opts := make(map[string]dashboard.ValueMappingResult, len(colors))
	i := int32(0)
	for _, k := range sortedKeys(colors) {
		opts[k] = dashboard.ValueMappingResult{Color: cog.ToPtr(colors[k]), Index: cog.ToPtr(i)}
		i++
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// accessColors colors the access values of the InfluxDB schema.
func accessColors() map[string]string {
	return map[string]string{
		string(model.AccessAvailable): "green", string(model.AccessRevoked): "red",
		string(model.AccessFault): "orange", string(model.AccessMisconfigured): "purple",
		string(model.AccessUnknown): "text",
	}
}

// promStates are the values of accesswatch_access_state's state label, in the order the
// timeline encodes them as numbers (index = value), with their colors.
func promStates() []struct{ state, color string } {
	return []struct{ state, color string }{
		{string(model.StateUnknown), "text"}, {string(model.StateAvailable), "green"},
		{string(model.StateDegraded), "yellow"}, {string(model.StateDown), "orange"},
		{string(model.StateRevoked), "red"},
	}
}

// stateMap maps the encoded state numbers to their names and colors.
func stateMap() []dashboard.ValueMapping {
	opts := make(map[string]dashboard.ValueMappingResult)
	for i, s := range promStates() {
		opts[itoa(i)] = dashboard.ValueMappingResult{Text: cog.ToPtr(s.state), Color: cog.ToPtr(s.color), Index: cog.ToPtr(int32(i))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func itoa(i int) string { return strconv.Itoa(i) }
