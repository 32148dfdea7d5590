package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/accesswatch/accesswatch/internal/model"
)

func incidentUpdate(phase, id, mdl string, regions ...string) model.EventUpdate {
	return model.EventUpdate{Phase: phase, Seq: 1, Event: model.Event{ID: id, IncidentID: "inc-1", Kind: model.EventRevoked,
		Condition: model.EventRevoked, Provider: "anthropic", Model: mdl, Regions: regions}}
}

// TestIncidentSeries: one incident of two models in three regions is one accesswatch_incident_open
// series (not one per model × region), with its page and its models and regions; a model not in
// the configuration gets no series; the series go when the incident's last event closes.
func TestIncidentSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, Options{PublicURL: "https://watch.example.org/", Targets: []Target{{"anthropic", "claude-a"}, {"anthropic", "claude-b"}},
		Regions: []string{"india", "us", "europe"}})
	m.ObserveEventUpdates([]model.EventUpdate{
		incidentUpdate(model.PhaseOpened, "a", "claude-a", "india", "us"),
		incidentUpdate(model.PhaseOpened, "b", "claude-b", "europe"),
		incidentUpdate(model.PhaseOpened, "x", "unlisted-model", "us"),
		{Phase: model.PhaseOpened, Event: model.Event{ID: "v", Kind: model.EventVantageFault, Condition: model.EventVantageFault, Vantage: "v1", Regions: []string{"us"}}},
	})
	want := `
# HELP accesswatch_incident_open 1 while an incident (one vendor decision: events of one provider and condition) is open; url is its page.
# TYPE accesswatch_incident_open gauge
accesswatch_incident_open{condition="revoked",incident_id="inc-1",provider="anthropic",url="https://watch.example.org/incidents/inc-1"} 1
# HELP accesswatch_incident_models Models an open incident affects now.
# TYPE accesswatch_incident_models gauge
accesswatch_incident_models{condition="revoked",incident_id="inc-1",provider="anthropic"} 3
# HELP accesswatch_incident_regions Regions an open incident affects now.
# TYPE accesswatch_incident_regions gauge
accesswatch_incident_regions{condition="revoked",incident_id="inc-1",provider="anthropic"} 3
# HELP accesswatch_incident_model 1 for each configured model an open incident affects.
# TYPE accesswatch_incident_model gauge
accesswatch_incident_model{condition="revoked",incident_id="inc-1",model="claude-a",provider="anthropic"} 1
accesswatch_incident_model{condition="revoked",incident_id="inc-1",model="claude-b",provider="anthropic"} 1
`
	names := []string{"accesswatch_incident_open", "accesswatch_incident_models", "accesswatch_incident_regions", "accesswatch_incident_model"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.incidents, "accesswatch_incident_region"); n != 3 {
		t.Errorf("%d region series, want 3", n)
	}
	closed := func(id, mdl string) model.EventUpdate {
		u := incidentUpdate(model.PhaseClosed, id, mdl)
		u.Event.Outcome = model.EventRestored
		return u
	}
	m.ObserveEventUpdates([]model.EventUpdate{closed("a", "claude-a"), closed("x", "unlisted-model")})
	if n := testutil.CollectAndCount(m.incidents, "accesswatch_incident_open"); n != 1 {
		t.Errorf("incident gone while claude-b is still revoked: %d series", n)
	}
	m.ObserveEventUpdates([]model.EventUpdate{closed("b", "claude-b")})
	if n := testutil.CollectAndCount(m.incidents); n != 0 {
		t.Errorf("%d incident series after the incident ended", n)
	}
}

// feedIncident opens one incident of a configured target, so every incident series exists.
func feedIncident(m *Metrics) {
	m.ObserveEventUpdates([]model.EventUpdate{{Phase: model.PhaseOpened, Seq: 1, Event: model.Event{
		ID: "ev-1", IncidentID: "inc-1", Kind: model.EventRevoked, Condition: model.EventRevoked,
		Provider: "anthropic", Model: "claude-x", Regions: []string{"de"}}}})
}
