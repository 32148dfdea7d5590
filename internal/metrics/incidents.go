package metrics

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Incident series. One incident is one vendor decision (the events of one provider and
// condition opened within alerting.incident_window, see alerting/detect), so the Prometheus
// rules page once per incident, not once per model × region:
//
//	accesswatch_incident_open{provider,condition,incident_id,url}  1 while the incident is open
//	accesswatch_incident_models{provider,condition,incident_id}    models affected now
//	accesswatch_incident_regions{provider,condition,incident_id}   regions affected now
//	accesswatch_incident_model{provider,condition,incident_id,model}   1 per affected model
//	accesswatch_incident_region{provider,condition,incident_id,region} 1 per affected region
//
// url is the incident page: Options.PublicURL + /incidents/{id}, or the path alone. Series exist
// only while their incident is open (an ended incident's series disappear at the next scrape),
// vantage faults are left out (they have their own vantage alerts), and model and region values
// not in Options are counted in the _models/_regions gauges but get no series of their own.
// Cardinality is bounded by the configuration: open incidents ≤ open events ≤ targets × 5
// conditions, and per incident at most len(models) + len(regions) + 3 series.
type incidentCollector struct {
	openDesc, modelsDesc, regionsDesc, modelDesc, regionDesc *prometheus.Desc

	publicURL string
	models    map[string]bool // nil: any
	regions   map[string]bool // nil: any

	mu        sync.Mutex
	incidents map[string]*incidentEntry
}

type incidentEntry struct {
	provider, condition string
	events              map[string]incidentEvent // by event id
}

type incidentEvent struct {
	model   string
	regions []string
}

func newIncidentCollector(o Options) *incidentCollector {
	keys := []string{"provider", "condition", "incident_id"}
	c := &incidentCollector{
		openDesc: prometheus.NewDesc(Namespace+"_incident_open",
			"1 while an incident (one vendor decision: events of one provider and condition) is open; url is its page.",
			append(slices.Clone(keys), "url"), nil),
		modelsDesc: prometheus.NewDesc(Namespace+"_incident_models",
			"Models an open incident affects now.", keys, nil),
		regionsDesc: prometheus.NewDesc(Namespace+"_incident_regions",
			"Regions an open incident affects now.", keys, nil),
		modelDesc: prometheus.NewDesc(Namespace+"_incident_model",
			"1 for each configured model an open incident affects.", append(slices.Clone(keys), "model"), nil),
		regionDesc: prometheus.NewDesc(Namespace+"_incident_region",
			"1 for each configured region an open incident affects.", append(slices.Clone(keys), "region"), nil),
		publicURL: strings.TrimSuffix(o.PublicURL, "/"),
		incidents: map[string]*incidentEntry{},
	}
	if len(o.Models) > 0 || len(o.Targets) > 0 {
		c.models = map[string]bool{}
		for _, m := range o.Models {
			c.models[m] = true
		}
		for _, t := range o.Targets {
			c.models[t.Model] = true
		}
	}
	if len(o.Regions) > 0 {
		c.regions = map[string]bool{}
		for _, r := range o.Regions {
			c.regions[r] = true
		}
	}
	return c
}

// ObserveEventUpdates follows detection's event updates: an incident's series appear with its
// first event and disappear when its last event closes. Feeding it the open events again as
// openings (what the service does after a restart) rebuilds the series.
func (m *Metrics) ObserveEventUpdates(us []model.EventUpdate) {
	m.incidents.observe(us)
}

func (c *incidentCollector) observe(us []model.EventUpdate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range us {
		e := &u.Event
		if e.Provider == "" || cmp.Or(e.Condition, e.Kind) == model.EventVantageFault {
			continue
		}
		id := cmp.Or(e.IncidentID, e.ID)
		in := c.incidents[id]
		if u.Phase == model.PhaseClosed || !e.Open() {
			if in != nil {
				delete(in.events, e.ID)
				if len(in.events) == 0 {
					delete(c.incidents, id)
				}
			}
			continue
		}
		if in == nil {
			in = &incidentEntry{provider: e.Provider, condition: cmp.Or(e.Condition, e.Kind), events: map[string]incidentEvent{}}
			c.incidents[id] = in
		}
		in.events[e.ID] = incidentEvent{model: e.Model, regions: slices.Clone(e.Regions)}
	}
}

func (c *incidentCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.openDesc, c.modelsDesc, c.regionsDesc, c.modelDesc, c.regionDesc} {
		ch <- d
	}
}

func (c *incidentCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for id, in := range c.incidents {
		models, regions := map[string]bool{}, map[string]bool{}
		for _, e := range in.events {
			models[e.model] = true
			for _, r := range e.regions {
				regions[r] = true
			}
		}
		gauge(c.openDesc, 1, in.provider, in.condition, id, c.publicURL+"/incidents/"+url.PathEscape(id))
		gauge(c.modelsDesc, float64(len(models)), in.provider, in.condition, id)
		gauge(c.regionsDesc, float64(len(regions)), in.provider, in.condition, id)
		for m := range models {
			if c.models == nil || c.models[m] {
				gauge(c.modelDesc, 1, in.provider, in.condition, id, m)
			}
		}
		for r := range regions {
			if c.regions == nil || c.regions[r] {
				gauge(c.regionDesc, 1, in.provider, in.condition, id, r)
			}
		}
	}
}
