package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
)

// statusDataset: five targets, deliberately out of order.
func statusDataset() []model.TargetStatus {
	return []model.TargetStatus{
		{Provider: "openai", Model: "gpt-x", Region: "in", State: model.StateUnknown,
			Since: now.Add(-10 * time.Minute), Reason: "no healthy vantage"}, // never checked: null last_checked
		{Provider: "anthropic", Model: "claude-x", Region: "us", State: model.StateAvailable,
			Since: now.Add(-48 * time.Hour), Signature: "anthropic/200/ok", LastChecked: now.Add(-30 * time.Second), Vantages: 1},
		{Provider: "anthropic", Model: "claude-x", Region: "in", Vantage: "in-1", State: model.StateRevoked,
			Since: now.Add(-time.Hour), Signature: "anthropic/403/forbidden_region", LastChecked: now.Add(-30 * time.Second)},
		{Provider: "anthropic", Model: "claude-x", Region: "in", State: model.StateRevoked,
			Since: now.Add(-time.Hour), Signature: "anthropic/403/forbidden_region", LastChecked: now.Add(-30 * time.Second), Vantages: 2},
		{Provider: "openai", Model: "gpt-x", Region: "au", State: model.StateDegraded,
			Since: now.Add(-5 * time.Minute), Signature: "openai/503/overloaded", LastChecked: now.Add(-time.Minute), Vantages: 1},
	}
}

func ptime(d time.Duration) *time.Time {
	t := now.Add(d)
	return &t
}

// eventDataset: newest started first they are e3, e0, e1, e2.
func eventDataset() []model.Event {
	mk := func(id, kind, cond, scope, provider, incident string, started time.Duration, ended *time.Time, regions ...string) model.Event {
		e := model.Event{ID: id, Kind: kind, Condition: cond, Scope: scope, IncidentID: incident,
			Provider: provider, Regions: regions, StartedAt: now.Add(started), EndedAt: ended,
			UpdatedAt: now.Add(started)}
		if provider != "" {
			e.Model = provider + "-m"
			e.Signature = provider + "/403/forbidden_region"
			e.Sample = `{"error":{"type":"forbidden"}}`
			e.Evidence = []string{id + "-r1", id + "-r2"}
		}
		if ended != nil {
			e.UpdatedAt = *ended
		}
		return e
	}
	e1 := mk("e1", model.EventRevoked, model.EventRevoked, model.ScopeGlobal, "anthropic", "inc1",
		-2*time.Hour, ptime(-30*time.Minute), "in", "au", "de", "us")
	e1.Outcome = model.EventRestored
	e1.Changes = []model.EventChange{
		{At: now.Add(-2 * time.Hour), Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: []string{"in", "au", "de"}},
		{At: now.Add(-time.Hour), Kind: model.EventRevoked, Scope: model.ScopeGlobal, Regions: []string{"in", "au", "de", "us"}},
	}
	e2 := mk("e2", model.EventOutage, model.EventOutage, model.ScopeGlobal, "openai", "inc2", -3*time.Hour, ptime(-150*time.Minute), "in", "us")
	e2.Outcome = model.EventRecovered
	e3 := mk("e3", model.EventVantageFault, model.EventVantageFault, model.ScopeVantage, "", "inc3", -10*time.Minute, nil)
	e3.Vantage, e3.Reason = "in-1", "control unreachable"
	return []model.Event{
		mk("e0", model.EventRevoked, model.EventRevoked, model.ScopeRegional, "anthropic", "inc1", -time.Hour, nil, "in", "au"),
		e1,
		e2,
		e3, // no regions: shown as []
	}
}

type statusPage struct {
	GeneratedAt string `json:"generated_at"`
	Targets     []struct {
		Provider, Model, Region, Vantage string
		State                            model.State
	} `json:"targets"`
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name, query string
		want        []string // region/vantage/state of each target, in order
	}{
		{"all sorted", "", []string{"in//revoked", "in/in-1/revoked", "us//available", "au//degraded", "in//unknown"}},
		{"provider", "provider=openai", []string{"au//degraded", "in//unknown"}},
		{"model and region", "model=claude-x&region=in", []string{"in//revoked", "in/in-1/revoked"}},
		{"state", "state=revoked", []string{"in//revoked", "in/in-1/revoked"}},
		{"empty state matches all", "state=&provider=openai", []string{"au//degraded", "in//unknown"}},
		{"nothing matches", "region=br", []string{}},
	}
	e := newEnv(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, nil, "GET", "/api/v1/status?"+tt.query, nil)
			if r.status != 200 {
				t.Fatalf("status = %d; %s", r.status, r.body)
			}
			var p statusPage
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Targets == nil {
				t.Fatalf("targets is not an array: %s", r.body)
			}
			got := []string{}
			for _, tg := range p.Targets {
				got = append(got, tg.Region+"/"+tg.Vantage+"/"+string(tg.State))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("targets = %v, want %v", got, tt.want)
			}
			if p.GeneratedAt != "2026-03-01T12:00:00Z" {
				t.Errorf("generated_at = %q", p.GeneratedAt)
			}
		})
	}
}

func TestStatusGolden(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, nil, "GET", "/api/v1/status", nil)
	if r.status != 200 {
		t.Fatalf("status = %d", r.status)
	}
	golden(t, "status.golden.json", r.body)
}

func TestEventsGolden(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, nil, "GET", "/api/v1/events", nil)
	if r.status != 200 {
		t.Fatalf("status = %d", r.status)
	}
	golden(t, "events.golden.json", r.body)
}

type eventPage struct {
	Events []struct {
		ID              string     `json:"id"`
		Regions         []string   `json:"regions"`
		EndedAt         *time.Time `json:"ended_at"`
		DurationSeconds *float64   `json:"duration_seconds"`
	} `json:"events"`
}

func TestEvents(t *testing.T) {
	tests := []struct {
		name, query string
		want        []string
	}{
		{"all newest started first", "", []string{"e3", "e0", "e1", "e2"}},
		{"provider", "provider=anthropic", []string{"e0", "e1"}},
		{"model", "model=openai-m", []string{"e2"}},
		{"region", "region=au", []string{"e0", "e1"}},
		{"kind", "kind=vantage_fault", []string{"e3"}},
		{"kind is kept once ended", "kind=revoked", []string{"e0", "e1"}},
		{"an ended outage is an outage", "kind=outage", []string{"e2"}},
		{"kind restored: ended revocations", "kind=restored", []string{"e1"}},
		{"kind recovered", "kind=recovered", []string{"e2"}},
		{"outcome", "outcome=restored", []string{"e1"}},
		{"kind and outcome", "kind=outage&outcome=recovered", []string{"e2"}},
		{"open", "open=true", []string{"e3", "e0"}},
		{"ended", "open=false", []string{"e1", "e2"}},
		{"relative since", "since=1h", []string{"e3", "e0", "e1"}},
		{"rfc3339 since", "since=2026-03-01T09:30:00Z", []string{"e3", "e0", "e1", "e2"}},
		{"incident", "incident=inc1", []string{"e0", "e1"}},
		{"limit", "limit=1", []string{"e3"}},
		{"combined", "region=us&open=false&provider=openai", []string{"e2"}},
		{"nothing matches", "kind=misconfigured", []string{}},
	}
	e := newEnv(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, nil, "GET", "/api/v1/events?"+tt.query, nil)
			if r.status != 200 {
				t.Fatalf("status = %d; %s", r.status, r.body)
			}
			var p eventPage
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Events == nil {
				t.Fatalf("events is not an array: %s", r.body)
			}
			got := []string{}
			for _, ev := range p.Events {
				got = append(got, ev.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("events = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEventDurations(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, nil, "GET", "/api/v1/events", nil)
	var p eventPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"e3": 600, "e0": 3600, "e1": 5400, "e2": 1800} // open: until now
	for _, ev := range p.Events {
		if ev.DurationSeconds == nil || *ev.DurationSeconds != want[ev.ID] {
			t.Errorf("%s: duration_seconds = %v, want %v", ev.ID, ev.DurationSeconds, want[ev.ID])
		}
		if ev.Regions == nil {
			t.Errorf("%s: regions is not an array", ev.ID)
		}
		if open := ev.ID == "e3" || ev.ID == "e0"; open != (ev.EndedAt == nil) {
			t.Errorf("%s: ended_at = %v", ev.ID, ev.EndedAt)
		}
	}
}

func TestDetectionRoutesBadParams(t *testing.T) {
	tests := []struct {
		path, wantErr string
	}{
		{"/api/v1/status?state=blocked", `state: unknown state "blocked"`},
		{"/api/v1/status?since=1h", `unknown parameter "since"`},
		{"/api/v1/status?region=in&region=au", `region: given more than once`},
		{"/api/v1/events?open=yes", `open: want true or false, got "yes"`},
		{"/api/v1/events?open=1", `open: want true or false, got "1"`},
		{"/api/v1/events?kind=blocked", `kind: unknown kind "blocked"`},
		{"/api/v1/events?outcome=revoked", `outcome: want restored, recovered or retired, got "revoked"`},
		{"/api/v1/events?since=x", `since: want RFC 3339 time or a duration like 15m, got "x"`},
		{"/api/v1/events?limit=0", `limit: want an integer from 1 to 10000, got "0"`},
		{"/api/v1/events?until=1h", `unknown parameter "until"`},
		{"/api/v1/events?incident=a&incident=b", `incident: given more than once`},
	}
	e := newEnv(t, nil)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.do(t, nil, "GET", tt.path, nil)
			if r.status != 400 {
				t.Errorf("status = %d, want 400", r.status)
			}
			wantJSON(t, r.body, `{"error":`+mustQuote(tt.wantErr)+`}`)
		})
	}
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// recordingEvents remembers the filter it was asked for and answers with err.
type recordingEvents struct {
	got store.EventFilter
	err error
}

func (r *recordingEvents) Events(_ context.Context, f store.EventFilter) ([]model.Event, error) {
	r.got = f
	return nil, r.err
}

func TestEventFilterPassedToSource(t *testing.T) {
	src := &recordingEvents{}
	e := newEnv(t, func(o *Options) { o.Events = src })
	r := e.do(t, nil, "GET", "/api/v1/events?provider=p&model=m&region=r&kind=outage&open=false"+
		"&incident=i&since=15m&limit=7&outcome=recovered", nil)
	if r.status != 200 {
		t.Fatalf("status = %d; %s", r.status, r.body)
	}
	wantJSON(t, r.body, `{"events":[]}`)
	got := src.got
	if got.Open == nil || *got.Open || !got.Since.Equal(now.Add(-15*time.Minute)) {
		t.Errorf("open/since = %v/%v", got.Open, got.Since)
	}
	got.Open, got.Since = nil, time.Time{}
	want := store.EventFilter{Provider: "p", Model: "m", Region: "r", Kind: "outage", Outcome: "recovered", IncidentID: "i", Limit: 7}
	if got != want {
		t.Errorf("filter = %+v, want %+v", got, want)
	}
	if e.do(t, nil, "GET", "/api/v1/events", nil); src.got.Limit != store.DefaultLimit || src.got.Open != nil {
		t.Errorf("default filter = %+v", src.got)
	}
}

func TestDetectionRoutesUnavailable(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(*Options)
		path       string
		wantStatus int
		wantBody   string
	}{
		{"no status source", func(o *Options) { o.Status = nil }, "/api/v1/status", 503, `{"error":"status not available"}`},
		{"no event source", func(o *Options) { o.Events = nil }, "/api/v1/events", 503, `{"error":"events not available"}`},
		{"event query error", func(o *Options) { o.Events = &recordingEvents{err: errors.New("disk I/O error")} },
			"/api/v1/events", 500, `{"error":"query failed"}`},
		{"empty status", func(o *Options) { o.Status = StatusFunc(func() []model.TargetStatus { return nil }) },
			"/api/v1/status", 200, `{"generated_at":"2026-03-01T12:00:00Z","targets":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.mutate)
			r := e.do(t, nil, "GET", tt.path, nil)
			if r.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", r.status, tt.wantStatus)
			}
			wantJSON(t, r.body, tt.wantBody)
		})
	}
}

// FuzzParseEventFilter: any query either fails cleanly or yields a filter within bounds.
func FuzzParseEventFilter(f *testing.F) {
	for _, s := range []string{"", "open=true&since=1h", "kind=revoked&limit=5", "open=maybe", "since=7d",
		"region=in&region=au", "incident=%zz", "limit=99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := parseEventFilter(q, now)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > store.MaxLimit {
			t.Fatalf("limit %d out of range for %q", flt.Limit, raw)
		}
		if flt.Kind != "" && !slices.Contains(eventKinds(), flt.Kind) {
			t.Fatalf("kind %q accepted for %q", flt.Kind, raw)
		}
		if _, err := parseStatusFilter(q); err == nil {
			for k := range q {
				if !slices.Contains([]string{"provider", "model", "region", "state"}, k) {
					t.Fatalf("status filter accepted parameter %q", k)
				}
			}
		}
	})
}
