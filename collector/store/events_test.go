package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

func at(d time.Duration) *time.Time {
	t := base.Add(d)
	return &t
}

// fullEvent returns an Event with every field set.
func fullEvent(id string) model.Event {
	return model.Event{
		ID: id, Kind: model.EventRevoked, Condition: model.EventRevoked, Outcome: model.EventRestored, Scope: model.ScopeRegional,
		IncidentID: "inc-1", Provider: "anthropic", Model: "claude-x", Vantage: "in-mum-1",
		Regions:   []string{"in", "au"},
		StartedAt: base.Add(-2 * time.Hour), EndedAt: at(-time.Hour), UpdatedAt: base.Add(-time.Hour),
		Signature: "anthropic/403/forbidden_region", Reason: "policy", Sample: `{"error":"forbidden"}`,
		Evidence: []string{"r1", "r2"}, RetiresAt: at(30 * 24 * time.Hour),
		Changes: []model.EventChange{
			{At: base.Add(-2 * time.Hour), Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: []string{"in"}},
			{At: base.Add(-90 * time.Minute), Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: []string{"in", "au"}},
		},
	}
}

func eventIDs(es []model.Event) []string {
	out := []string{}
	for i := range es {
		out = append(out, es[i].ID)
	}
	return out
}

func mustUpsert(t *testing.T, s *Store, es ...model.Event) {
	t.Helper()
	if err := s.UpsertEvents(context.Background(), es); err != nil {
		t.Fatalf("UpsertEvents: %v", err)
	}
}

func TestEventRoundTripEveryField(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	want := fullEvent("e1")
	requireAllFieldsSet(t, reflect.ValueOf(want), "Event")
	mustUpsert(t, s, want)
	got, ok, err := s.Event(ctx, "e1")
	if err != nil || !ok {
		t.Fatalf("Event = %v, %v", ok, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the event:\n got %+v\nwant %+v", got, want)
	}
	all, err := s.Events(ctx, EventFilter{})
	if err != nil || len(all) != 1 || !reflect.DeepEqual(all[0], want) {
		t.Errorf("Events = %+v, %v; want the one event", all, err)
	}
	if _, ok, err := s.Event(ctx, "nope"); ok || err != nil {
		t.Errorf("Event(nope) = %v, %v; want false, nil", ok, err)
	}
}

func regionRows(t *testing.T, s *Store, id string) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT region FROM event_regions WHERE event_id = ? ORDER BY region`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	out := []string{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestUpsertEventUpdatesRegions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	e := fullEvent("e1")
	e.Kind, e.EndedAt, e.Regions = model.EventRevoked, nil, []string{"in", "au"}
	mustUpsert(t, s, e)

	// It widens to global (a duplicate region is stored once), then ends in us only.
	e.Scope, e.Regions = model.ScopeGlobal, []string{"in", "au", "de", "us", "de"}
	mustUpsert(t, s, e)
	if got := regionRows(t, s, "e1"); !slices.Equal(got, []string{"au", "de", "in", "us"}) {
		t.Errorf("regions after widening = %v", got)
	}
	ended := e
	ended.Outcome, ended.EndedAt, ended.Regions = model.EventRestored, at(0), []string{"us"}
	other := fullEvent("e2") // an unrelated event in the same call keeps its own regions
	mustUpsert(t, s, ended, other)
	if got := regionRows(t, s, "e1"); !slices.Equal(got, []string{"us"}) {
		t.Errorf("regions after the last update = %v, want [us]", got)
	}
	if got, _ := s.Events(ctx, EventFilter{Region: "in"}); !slices.Equal(eventIDs(got), []string{"e2"}) {
		t.Errorf("region in matches %v, want only e2", eventIDs(got))
	}
	got, ok, err := s.Event(ctx, "e1")
	if err != nil || !ok || got.Kind != model.EventRevoked || got.Outcome != model.EventRestored || got.EndedAt == nil || got.Scope != model.ScopeGlobal {
		t.Errorf("Event after update = %+v, %v, %v", got, ok, err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n); err != nil || n != 2 {
		t.Errorf("events rows = %d, %v; want 2", n, err)
	}
	open := false
	if got, _ := s.Events(ctx, EventFilter{Open: &open}); len(got) != 2 {
		t.Errorf("ended events = %v, want both (ended_at column updated)", eventIDs(got))
	}
}

// eventDataset: four events; "newest started first" orders them e3, e0, e1, e2.
func eventDataset() []model.Event {
	mk := func(id, kind, outcome, provider, mdl, incident string, started time.Duration, ended *time.Time, regions ...string) model.Event {
		e := fullEvent(id)
		e.Kind, e.Condition, e.Outcome, e.Provider, e.Model, e.IncidentID = kind, kind, outcome, provider, mdl, incident
		e.StartedAt, e.EndedAt, e.Regions = base.Add(started), ended, regions
		return e
	}
	return []model.Event{
		mk("e0", model.EventRevoked, "", "anthropic", "claude-x", "inc1", -time.Hour, nil, "in", "au"),
		mk("e1", model.EventRevoked, model.EventRestored, "anthropic", "claude-y", "inc1", -2*time.Hour, at(-30*time.Minute), "in"),
		mk("e2", model.EventOutage, model.EventRecovered, "openai", "gpt-x", "inc2", -3*time.Hour, at(-150*time.Minute), "in", "au", "de", "us"),
		mk("e3", model.EventVantageFault, "", "", "", "inc3", -10*time.Minute, nil, "in"),
	}
}

func TestEventFilters(t *testing.T) {
	s := openStore(t, Options{})
	mustUpsert(t, s, eventDataset()...)
	yes, no := true, false
	tests := []struct {
		name string
		f    EventFilter
		want []string
	}{
		{"all newest started first", EventFilter{}, []string{"e3", "e0", "e1", "e2"}},
		{"provider", EventFilter{Provider: "anthropic"}, []string{"e0", "e1"}},
		{"provider and model", EventFilter{Provider: "anthropic", Model: "claude-y"}, []string{"e1"}},
		{"region is any of the event's", EventFilter{Region: "au"}, []string{"e0", "e2"}},
		{"region only in one", EventFilter{Region: "us"}, []string{"e2"}},
		{"kind is the opening kind, open or ended", EventFilter{Kind: model.EventRevoked}, []string{"e0", "e1"}},
		{"kind outage", EventFilter{Kind: model.EventOutage}, []string{"e2"}},
		{"kind restored: the closed revocations", EventFilter{Kind: model.EventRestored}, []string{"e1"}},
		{"kind recovered: the closed others", EventFilter{Kind: model.EventRecovered}, []string{"e2"}},
		{"outcome", EventFilter{Outcome: model.EventRecovered}, []string{"e2"}},
		{"kind and outcome", EventFilter{Kind: model.EventRevoked, Outcome: model.EventRestored}, []string{"e1"}},
		{"open", EventFilter{Open: &yes}, []string{"e3", "e0"}},
		{"ended", EventFilter{Open: &no}, []string{"e1", "e2"}},
		{"since keeps open and recently ended", EventFilter{Since: base.Add(-time.Hour)}, []string{"e3", "e0", "e1"}},
		{"since is inclusive of ended_at", EventFilter{Since: base.Add(-150 * time.Minute)}, []string{"e3", "e0", "e1", "e2"}},
		{"since in the future keeps only open", EventFilter{Since: base.Add(time.Hour)}, []string{"e3", "e0"}},
		{"incident", EventFilter{IncidentID: "inc1"}, []string{"e0", "e1"}},
		{"limit", EventFilter{Limit: 2}, []string{"e3", "e0"}},
		{"region and ended", EventFilter{Region: "in", Open: &no}, []string{"e1", "e2"}},
		{"no match", EventFilter{Provider: "mistral"}, []string{}},
		{"injection attempt is a plain value", EventFilter{Region: "x' OR '1'='1"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Events(context.Background(), tt.f)
			if err != nil {
				t.Fatalf("Events: %v", err)
			}
			if !slices.Equal(eventIDs(got), tt.want) {
				t.Errorf("Events(%+v) = %v, want %v", tt.f, eventIDs(got), tt.want)
			}
		})
	}
}

func TestEventsSameStartOrderByID(t *testing.T) {
	s := openStore(t, Options{})
	var es []model.Event
	for _, id := range []string{"b", "c", "a"} {
		e := fullEvent(id)
		es = append(es, e)
	}
	mustUpsert(t, s, es...)
	got, err := s.Events(context.Background(), EventFilter{})
	if err != nil || !slices.Equal(eventIDs(got), []string{"c", "b", "a"}) {
		t.Errorf("Events = %v, %v; want [c b a]", eventIDs(got), err)
	}
}

func TestUpsertEventsRejectsInvalid(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Event)
		want   string
	}{
		{"empty id", func(e *model.Event) { e.ID = "" }, "empty id"},
		{"zero started_at", func(e *model.Event) { e.StartedAt = time.Time{} }, "zero started_at"},
		{"zero ended_at", func(e *model.Event) { e.EndedAt = &time.Time{} }, "zero ended_at"},
		{"ended_at beyond int64 nanos", func(e *model.Event) {
			far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
			e.EndedAt = &far
		}, "ended_at 2300-01-01T00:00:00Z outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, Options{})
			bad := fullEvent("bad")
			tt.mutate(&bad)
			err := s.UpsertEvents(context.Background(), []model.Event{fullEvent("good"), bad})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("UpsertEvents error = %v, want one containing %q", err, tt.want)
			}
			if got, _ := s.Events(context.Background(), EventFilter{}); len(got) != 0 {
				t.Errorf("stored %v from a rejected call", eventIDs(got))
			}
		})
	}
}

func transition(provider, region string, ago time.Duration, to model.State) model.Transition {
	return model.Transition{Provider: provider, Model: provider + "-m", Region: region, Vantage: region + "-1",
		From: model.StateAvailable, To: to, At: base.Add(-ago), Signature: provider + "/sig",
		Evidence: []string{"r-" + region}}
}

func TestTransitions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	ts := []model.Transition{
		transition("anthropic", "in", 3*time.Hour, model.StateRevoked),  // 0
		transition("anthropic", "in", time.Hour, model.StateAvailable),  // 1
		transition("anthropic", "au", time.Hour, model.StateRevoked),    // 2, same time as 1, added later
		transition("openai", "in", 30*time.Minute, model.StateDegraded), // 3
	}
	if err := s.AddTransitions(ctx, ts[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTransitions(ctx, ts[2:]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                    string
		provider, model, region string
		since                   time.Time
		limit                   int
		want                    []int
	}{
		{"all newest first, ties by insertion", "", "", "", time.Time{}, 0, []int{3, 2, 1, 0}},
		{"one target", "anthropic", "anthropic-m", "in", time.Time{}, 0, []int{1, 0}},
		{"provider", "anthropic", "", "", time.Time{}, 0, []int{2, 1, 0}},
		{"region", "", "", "in", time.Time{}, 0, []int{3, 1, 0}},
		{"since is inclusive", "", "", "", base.Add(-time.Hour), 0, []int{3, 2, 1}},
		{"limit", "", "", "", time.Time{}, 1, []int{3}},
		{"no match", "mistral", "", "", time.Time{}, 0, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Transitions(ctx, tt.provider, tt.model, tt.region, tt.since, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			want := []model.Transition{}
			for _, i := range tt.want {
				want = append(want, ts[i])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Transitions = %+v\nwant %+v", got, want)
			}
		})
	}
	bad := []model.Transition{transition("x", "in", 0, model.StateDown), {Provider: "x"}}
	if err := s.AddTransitions(ctx, bad); err == nil || !strings.Contains(err.Error(), "transition 1: zero at") {
		t.Errorf("AddTransitions with a zero At = %v", err)
	}
	if got, _ := s.Transitions(ctx, "x", "", "", time.Time{}, 0); len(got) != 0 {
		t.Errorf("a rejected call stored %d transitions", len(got))
	}
}

func TestDetectionMethodsOnClosedStore(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{
		"UpsertEvents":   s.UpsertEvents(ctx, []model.Event{fullEvent("e")}),
		"AddTransitions": s.AddTransitions(ctx, []model.Transition{transition("a", "in", 0, model.StateDown)}),
		"SaveState":      s.SaveState(ctx, "k", []byte("x")),
		"LogPut":         s.LogPut(ctx, "r", "k", LogEntry{SentAt: base}),
	}
	_, checks["Events"] = s.Events(ctx, EventFilter{})
	_, _, checks["Event"] = s.Event(ctx, "e")
	_, checks["Transitions"] = s.Transitions(ctx, "", "", "", time.Time{}, 0)
	_, _, checks["LoadState"] = s.LoadState(ctx, "k")
	_, _, checks["LogGet"] = s.LogGet(ctx, "r", "k")
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

// TestMigrateOldClosedEvents: a store written when closing rewrote an event's kind to its
// outcome (restored, recovered, retired) reads, after migration 4, as the contract says: the
// kind it opened as, and the outcome; filters by kind and by outcome find them.
func TestMigrateOldClosedEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db := rawDB(t, path)
	if err := migrateSteps(ctx, db, migrations()[:3], 0); err != nil {
		t.Fatal(err)
	}
	old := []struct {
		id, kind, cond, scope, vantage string
		ended                          bool
	}{
		{"rev", model.EventRestored, model.EventRevoked, model.ScopeRegional, "", true},
		{"out", model.EventRecovered, model.EventOutage, model.ScopeGlobal, "", true},
		{"deg", model.EventRecovered, "", model.ScopeRegional, "", true}, // no condition: from the scope
		{"vf", model.EventRecovered, model.EventVantageFault, model.ScopeVantage, "v1", true},
		{"dep", model.EventRetired, model.EventDeprecation, model.ScopeGlobal, "", true},
		{"open", model.EventRevoked, model.EventRevoked, model.ScopeGlobal, "", false},
	}
	for i, o := range old {
		e := fullEvent(o.id)
		e.Kind, e.Condition, e.Scope, e.Vantage, e.Outcome = o.kind, o.cond, o.scope, o.vantage, ""
		e.StartedAt = base.Add(time.Duration(i) * time.Minute)
		var ended any
		if !o.ended {
			e.EndedAt = nil
		} else {
			ended = nanos(*e.EndedAt)
		}
		doc := mustJSON(t, &e)
		if _, err := db.Exec(`INSERT INTO events (id, incident_id, kind, condition, scope, provider, model,
			vantage, started_at, ended_at, updated_at, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
			e.ID, e.IncidentID, e.Kind, e.Condition, e.Scope, e.Provider, e.Model, e.Vantage,
			nanos(e.StartedAt), ended, nanos(e.UpdatedAt), doc); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, Options{Path: path})
	want := map[string][2]string{
		"rev": {model.EventRevoked, model.EventRestored}, "out": {model.EventOutage, model.EventRecovered},
		"deg": {model.EventDegraded, model.EventRecovered}, "vf": {model.EventVantageFault, model.EventRecovered},
		"dep": {model.EventDeprecation, model.EventRetired}, "open": {model.EventRevoked, ""},
	}
	for id, w := range want {
		e, ok, err := s.Event(ctx, id)
		if err != nil || !ok || e.Kind != w[0] || e.Condition != w[0] || e.Outcome != w[1] {
			t.Errorf("%s = kind %q condition %q outcome %q (%v %v), want %v", id, e.Kind, e.Condition, e.Outcome, ok, err, w)
		}
		var kind, outcome string
		var doc string
		if err := s.db.QueryRow(`SELECT kind, outcome, doc FROM events WHERE id = ?`, id).Scan(&kind, &outcome, &doc); err != nil {
			t.Fatal(err)
		}
		if kind != w[0] || outcome != w[1] || !strings.Contains(doc, `"kind":"`+w[0]+`"`) {
			t.Errorf("%s row = kind %q outcome %q doc %s", id, kind, outcome, doc)
		}
	}
	for _, tc := range []struct {
		f    EventFilter
		want []string
	}{
		{EventFilter{Kind: model.EventRevoked}, []string{"open", "rev"}},
		{EventFilter{Kind: model.EventRestored}, []string{"rev"}},
		{EventFilter{Kind: model.EventRecovered}, []string{"vf", "deg", "out"}},
		{EventFilter{Kind: model.EventOutage}, []string{"out"}},
	} {
		if got, err := s.Events(ctx, tc.f); err != nil || !slices.Equal(eventIDs(got), tc.want) {
			t.Errorf("Events(%+v) = %v, %v; want %v", tc.f, eventIDs(got), err, tc.want)
		}
	}
	// An event still written the old way (a notifier replaying one) is stored the new way.
	e := fullEvent("late")
	e.Kind, e.Outcome = model.EventRestored, ""
	mustUpsert(t, s, e)
	if got, _, _ := s.Event(ctx, "late"); got.Kind != model.EventRevoked || got.Outcome != model.EventRestored {
		t.Errorf("old-style upsert read as %q/%q", got.Kind, got.Outcome)
	}
}
