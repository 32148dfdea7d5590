package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accesswatch/accesswatch/internal/model"
)

// VantageHealth is one vantage's health as the collector (or agent) judges it.
type VantageHealth struct {
	ID, Region, Country string
	Healthy             bool      // its control checks pass
	Verified            bool      // its egress country matches Country
	LastSeen            time.Time // latest result or push; zero when never seen (exported as 0)
}

type targetKey struct{ provider, model, region string }

type accessEntry struct {
	state model.State
	since time.Time
}

// accessCollector exports access states from a map under a mutex, so a scrape sees each
// target's states switch together and the one-hot invariant holds at every scrape.
type accessCollector struct {
	states    []model.State
	stateDesc *prometheus.Desc
	sinceDesc *prometheus.Desc

	mu      sync.Mutex
	targets map[targetKey]accessEntry
}

func newAccessCollector() *accessCollector {
	return &accessCollector{
		states: model.States(),
		stateDesc: prometheus.NewDesc(Namespace+"_access_state",
			"Access state of a model in a region: 1 for the current state, 0 for the others.",
			[]string{"provider", "model", "region", "state"}, nil),
		sinceDesc: prometheus.NewDesc(Namespace+"_access_state_since_seconds",
			"Unix time at which the current access state of a model in a region began.",
			[]string{"provider", "model", "region"}, nil),
		targets: make(map[targetKey]accessEntry),
	}
}

// precreate adds a target in state unknown unless it already has a state.
func (c *accessCollector) precreate(k targetKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.targets[k]; !ok {
		c.targets[k] = accessEntry{state: model.StateUnknown}
	}
}

func (c *accessCollector) known(s model.State) bool {
	for _, k := range c.states {
		if k == s {
			return true
		}
	}
	return false
}

func (c *accessCollector) set(ts []model.TargetStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range ts {
		if t.Vantage != "" {
			continue
		}
		s := t.State
		if !c.known(s) {
			s = model.StateUnknown
		}
		c.targets[targetKey{t.Provider, t.Model, t.Region}] = accessEntry{state: s, since: t.Since}
	}
}

func (c *accessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.stateDesc
	ch <- c.sinceDesc
}

func (c *accessCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.targets {
		for _, s := range c.states {
			ch <- prometheus.MustNewConstMetric(c.stateDesc, prometheus.GaugeValue, boolValue(s == e.state),
				k.provider, k.model, k.region, string(s))
		}
		if !e.since.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.sinceDesc, prometheus.GaugeValue, unixSeconds(e.since),
				k.provider, k.model, k.region)
		}
	}
}

// vantageCollector exports the latest snapshot of vantage health.
type vantageCollector struct {
	healthyDesc  *prometheus.Desc
	lastSeenDesc *prometheus.Desc
	verifiedDesc *prometheus.Desc

	mu       sync.Mutex
	vantages []VantageHealth
}

func newVantageCollector() *vantageCollector {
	labels := []string{"vantage", "region"}
	return &vantageCollector{
		healthyDesc: prometheus.NewDesc(Namespace+"_vantage_healthy",
			"Whether a vantage's control checks pass (1) or not (0).", labels, nil),
		lastSeenDesc: prometheus.NewDesc(Namespace+"_vantage_last_seen_timestamp_seconds",
			"Unix time of a vantage's latest result; 0 when never seen.", labels, nil),
		verifiedDesc: prometheus.NewDesc(Namespace+"_vantage_verified",
			"Whether a vantage's egress address geolocates to its configured country (1) or not (0).",
			[]string{"vantage", "region", "country"}, nil),
	}
}

// set replaces the snapshot; a vantage listed twice keeps its last entry (duplicate series
// would make the scrape fail).
func (c *vantageCollector) set(vs []VantageHealth) {
	idx := make(map[string]int, len(vs))
	out := make([]VantageHealth, 0, len(vs))
	for _, v := range vs {
		if i, ok := idx[v.ID]; ok {
			out[i] = v
			continue
		}
		idx[v.ID] = len(out)
		out = append(out, v)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vantages = out
}

func (c *vantageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.healthyDesc
	ch <- c.lastSeenDesc
	ch <- c.verifiedDesc
}

func (c *vantageCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.vantages {
		ch <- prometheus.MustNewConstMetric(c.healthyDesc, prometheus.GaugeValue, boolValue(v.Healthy), v.ID, v.Region)
		seen := 0.0
		if !v.LastSeen.IsZero() {
			seen = unixSeconds(v.LastSeen)
		}
		ch <- prometheus.MustNewConstMetric(c.lastSeenDesc, prometheus.GaugeValue, seen, v.ID, v.Region)
		ch <- prometheus.MustNewConstMetric(c.verifiedDesc, prometheus.GaugeValue, boolValue(v.Verified),
			v.ID, v.Region, v.Country)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
