package metrics

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Namespace prefixes every metric name.
const Namespace = "accesswatch"

// Phases of a probe, as the phase label of accesswatch_probe_duration_seconds.
const (
	PhaseDNS       = "dns"
	PhaseConnect   = "connect"
	PhaseTLS       = "tls"
	PhaseFirstByte = "first_byte"
	PhaseTotal     = "total"
)

// Phases lists the phase label values, in probe order.
func Phases() []string {
	return []string{PhaseDNS, PhaseConnect, PhaseTLS, PhaseFirstByte, PhaseTotal}
}

// DurationBuckets are the histogram buckets of accesswatch_probe_duration_seconds: 5ms to 30s,
// enough to tell a DNS cache hit from a cross-continent TLS handshake from a probe timeout.
func DurationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
}

// Target is one configured (provider, model) pair.
type Target struct {
	Provider, Model string
}

// Options are the known label values, used to pre-create series at zero, and build facts.
type Options struct {
	// Version is this binary's version (accesswatch_build_info{version}).
	Version string
	// GoVersion defaults to runtime.Version(); tests pin it.
	GoVersion string

	// Providers, Models and Regions pre-create the probe series. When Targets is set, the
	// (provider, model) pairs come from it instead of the Providers × Models cross product,
	// which would create series for models a provider does not serve.
	Providers []string
	Models    []string
	Targets   []Target
	Regions   []string
	// Vantages are the configured vantage ids. Vantage series carry the vantage's region and
	// country, so they appear with the first SetVantages call rather than being pre-created.
	Vantages []string
	// Receivers and Agents pre-create the notifier and ingest counters at zero.
	Receivers []string
	Agents    []string
	// PublicURL is server.public_url: the base of the incident pages in accesswatch_incident_open's url label.
	PublicURL string

	// Closed bounds the label values by the lists above: a result, a state or a vantage naming
	// a (provider, model) not in Targets (or Providers × Models), a region not in Regions or a
	// vantage not in Vantages is not exported, only counted in
	// accesswatch_metrics_unlisted_total{what}. The service always sets it: label values come
	// from the configuration, never from input.
	Closed bool
}

// Metrics exports probe results, access states and vantage health, and registers the
// plumbing collectors. Its methods are safe for concurrent use.
type Metrics struct {
	reg     prometheus.Registerer
	opts    Options
	classes map[model.Class]bool

	success  *prometheus.GaugeVec
	duration *prometheus.HistogramVec
	results  *prometheus.CounterVec
	skipped  *prometheus.CounterVec // skipped.go

	access   *accessCollector
	vantages *vantageCollector
	// incidents is incidents.go's.
	incidents *incidentCollector

	bound    *bound                 // nil unless Options.Closed
	unlisted *prometheus.CounterVec // nil unless Options.Closed
}

// bound is the set of label values Options names, for Options.Closed.
type bound struct {
	targets  map[Target]bool
	regions  map[string]bool
	vantages map[string]bool
}

// probeChecks is the closed vocabulary of the check label.
var probeChecks = map[string]bool{
	model.CheckModels: true, model.CheckModel: true, model.CheckCountTokens: true, model.CheckGenerate: true,
	model.CheckControl: true, model.CheckStatusPage: true,
}

// result reports whether r's labels are all listed. A control result names no provider or model.
func (b *bound) result(r *model.Result) bool {
	if !b.regions[r.Region] || !b.vantages[r.Vantage] || !probeChecks[r.Check] {
		return false
	}
	if r.Check == model.CheckControl && r.Provider == "" && r.Model == "" {
		return true
	}
	return b.targets[Target{Provider: r.Provider, Model: r.Model}]
}

// Unlisted label values, the what label of accesswatch_metrics_unlisted_total.
const (
	UnlistedResult  = "result"
	UnlistedState   = "state"
	UnlistedVantage = "vantage"
)

// New creates the metrics and registers them on reg. A nil reg registers nothing (the
// metrics still work, for callers that do not export them).
func New(reg prometheus.Registerer, o Options) *Metrics {
	if o.GoVersion == "" {
		o.GoVersion = runtime.Version()
	}
	f := promauto.With(reg)
	m := &Metrics{
		reg:     reg,
		opts:    o,
		classes: make(map[model.Class]bool),
		success: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "probe_success",
			Help:      "Whether the latest probe of a check of a model from a vantage got an answer from the model (1) or not (0).",
		}, []string{"provider", "model", "region", "vantage", "check"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "probe_duration_seconds",
			Help:      "Duration of probe phases (dns, connect, tls, first_byte, total); phases a probe did not reach are not observed.",
			Buckets:   DurationBuckets(),
		}, []string{"provider", "region", "phase"}),
		results: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "probe_results_total",
			Help:      "Probe results by classification class.",
		}, []string{"provider", "model", "region", "class"}),
		skipped:  newSkipped(reg),
		access:   newAccessCollector(),
		vantages: newVantageCollector(),
	}
	m.incidents = newIncidentCollector(o)
	for _, c := range model.Classes() {
		m.classes[c] = true
	}
	f.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace,
		Name:      "build_info",
		Help:      "A metric with a constant '1' value labelled by the version of accesswatch and of Go it was built with.",
	}, []string{"version", "goversion"}).WithLabelValues(o.Version, o.GoVersion).Set(1)
	m.register(m.access)
	m.register(m.vantages)
	m.register(m.incidents)
	if o.Closed {
		m.bound = &bound{targets: make(map[Target]bool), regions: make(map[string]bool), vantages: make(map[string]bool)}
		for _, t := range m.targets() {
			m.bound.targets[t] = true
		}
		for _, r := range o.Regions {
			m.bound.regions[r] = true
		}
		for _, v := range o.Vantages {
			m.bound.vantages[v] = true
		}
		m.unlisted = f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "metrics_unlisted_total",
			Help:      "Results, access states and vantages not exported because they name a provider, model, region or vantage the configuration does not list.",
		}, []string{"what"})
		for _, w := range []string{UnlistedResult, UnlistedState, UnlistedVantage} {
			m.unlisted.WithLabelValues(w)
		}
	}
	m.precreate()
	return m
}

func (m *Metrics) register(c prometheus.Collector) {
	if m.reg != nil {
		m.reg.MustRegister(c)
	}
}

// targets is the configured (provider, model) pairs.
func (m *Metrics) targets() []Target {
	if len(m.opts.Targets) > 0 {
		return m.opts.Targets
	}
	var ts []Target
	for _, p := range m.opts.Providers {
		for _, mo := range m.opts.Models {
			ts = append(ts, Target{Provider: p, Model: mo})
		}
	}
	return ts
}

func (m *Metrics) precreate() {
	providers := m.opts.Providers
	if len(m.opts.Targets) > 0 {
		providers = nil
		seen := make(map[string]bool)
		for _, t := range m.opts.Targets {
			if !seen[t.Provider] {
				seen[t.Provider] = true
				providers = append(providers, t.Provider)
			}
		}
	}
	for _, r := range m.opts.Regions {
		for _, t := range m.targets() {
			for _, c := range model.Classes() {
				m.results.WithLabelValues(t.Provider, t.Model, r, string(c))
			}
			m.access.precreate(targetKey{t.Provider, t.Model, r})
		}
		for _, p := range providers {
			for _, ph := range Phases() {
				m.duration.WithLabelValues(p, r, ph)
			}
		}
	}
}

// ObserveResults records results: the latest success per (provider, model, region, vantage,
// check), phase durations per (provider, region), and a count per class.
func (m *Metrics) ObserveResults(rs []model.Result) {
	for i := range rs {
		r := &rs[i]
		if m.bound != nil && !m.bound.result(r) {
			m.unlisted.WithLabelValues(UnlistedResult).Inc()
			continue
		}
		ok := 0.0
		if r.OK() {
			ok = 1
		}
		m.success.WithLabelValues(r.Provider, r.Model, r.Region, r.Vantage, r.Check).Set(ok)
		class := r.Class
		if !m.classes[class] {
			class = model.ClassUnexpectedResponse // keep the label set closed
		}
		m.results.WithLabelValues(r.Provider, r.Model, r.Region, string(class)).Inc()
		m.observeTimings(r.Provider, r.Region, r.Timings)
	}
}

// observeTimings observes the phases that were measured; a zero phase was not reached (a
// DNS failure has no connect time) or not needed (a reused connection has no handshake).
func (m *Metrics) observeTimings(provider, region string, t model.Timings) {
	phases := [...]struct {
		name string
		ms   float64
	}{
		{PhaseDNS, t.DNSMs}, {PhaseConnect, t.ConnectMs}, {PhaseTLS, t.TLSMs},
		{PhaseFirstByte, t.FirstByteMs}, {PhaseTotal, t.TotalMs},
	}
	for _, p := range phases {
		if p.ms > 0 {
			m.duration.WithLabelValues(provider, region, p.name).Observe(p.ms / 1000)
		}
	}
}

// SetAccessStates records region-level states: accesswatch_access_state is one-hot over
// model.States() per (provider, model, region), and accesswatch_access_state_since_seconds is
// when the current state began. Statuses with a Vantage (one vantage's view) are skipped. It
// updates the targets given; other targets keep their last state.
func (m *Metrics) SetAccessStates(ts []model.TargetStatus) {
	if m.bound != nil {
		kept := make([]model.TargetStatus, 0, len(ts))
		for _, t := range ts {
			if t.Vantage == "" && (!m.bound.regions[t.Region] || !m.bound.targets[Target{Provider: t.Provider, Model: t.Model}]) {
				m.unlisted.WithLabelValues(UnlistedState).Inc()
				continue
			}
			kept = append(kept, t)
		}
		ts = kept
	}
	m.access.set(ts)
}

// SetVantages replaces the vantage health series with vs: vantages missing from vs disappear.
func (m *Metrics) SetVantages(vs []VantageHealth) {
	if m.bound != nil {
		kept := make([]VantageHealth, 0, len(vs))
		for _, v := range vs {
			if !m.bound.vantages[v.ID] {
				m.unlisted.WithLabelValues(UnlistedVantage).Inc()
				continue
			}
			kept = append(kept, v)
		}
		vs = kept
	}
	m.vantages.set(vs)
}
