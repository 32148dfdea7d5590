package slack

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

var t0 = time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)

const geoBlock = `HTTP 403 {"error":{"type":"forbidden","message":"Request not allowed"}}`

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

// revocation is one model's event of the 2026 case.
func revocation(id, mdl string, regions ...string) model.Event {
	return model.Event{
		ID: id, Kind: model.EventRevoked, Condition: model.EventRevoked, Scope: model.ScopeRegional,
		IncidentID: "inc-2026", Provider: "anthropic", Model: mdl, Regions: regions,
		StartedAt: t0, UpdatedAt: t0, Signature: "geo_blocked", Sample: geoBlock,
		Evidence: []string{id + "-r1", id + "-r2", id + "-r3"},
	}
}

func group(phase string, seq int, evs ...model.Event) notify.Group {
	g := notify.Group{IncidentID: evs[0].IncidentID, Phase: phase, At: t0}
	for _, e := range evs {
		g.Updates = append(g.Updates, model.EventUpdate{Phase: phase, Seq: seq, Event: e})
	}
	return g
}

func buildCases() []struct {
	name string
	g    notify.Group
	now  time.Time
} {
	three := []string{"india", "australia", "europe"}
	all := []string{"india", "australia", "europe", "us"}
	changes := []model.EventChange{
		{At: t0, Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: three},
		{At: t0.Add(40 * time.Minute), Kind: model.EventRevoked, Scope: model.ScopeGlobal, Regions: all},
	}
	widened := func(id, mdl string) model.Event {
		e := revocation(id, mdl, all...)
		e.Scope, e.Changes, e.UpdatedAt = model.ScopeGlobal, changes, t0.Add(40*time.Minute)
		return e
	}
	restored := func(id, mdl string) model.Event {
		e := widened(id, mdl)
		e.Outcome, e.EndedAt, e.UpdatedAt = model.EventRestored, at(2*time.Hour+14*time.Minute), *at(2*time.Hour + 14*time.Minute)
		return e
	}
	outage := model.Event{
		ID: "ev-out", Kind: model.EventOutage, Condition: model.EventOutage, Scope: model.ScopeGlobal,
		IncidentID: "inc-out", Provider: "openai", Model: "gpt-5.1", Regions: []string{"india", "us", "antarctica"},
		StartedAt: t0, Signature: "timeout", Sample: "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
	}
	vantage := model.Event{
		ID: "ev-vf", Kind: model.EventVantageFault, Condition: model.EventVantageFault, Scope: model.ScopeVantage,
		IncidentID: "inc-vf", Vantage: "eu-frankfurt-1", Regions: []string{"europe"}, StartedAt: t0,
		Signature: "vantage_offline", Reason: "control unreachable: socks5 proxy refused the connection",
	}
	misconf := model.Event{
		ID: "ev-mc", Kind: model.EventMisconfigured, Condition: model.EventMisconfigured, Scope: model.ScopeGlobal,
		IncidentID: "inc-mc", Provider: "mistral", Model: "mistral-large-latest", Regions: []string{"india", "us"},
		StartedAt: t0, Signature: "auth_failed", Reason: "auth_failed",
		Sample: `HTTP 401 <html><title>Unauthorized</title></html> & more`,
	}
	deprecation := model.Event{
		ID: "ev-dep", Kind: model.EventDeprecation, Condition: model.EventDeprecation, Scope: model.ScopeGlobal,
		IncidentID: "inc-dep", Provider: "mistral", Model: "mistral-large-2407", Regions: []string{"europe", "us"},
		StartedAt: t0, Signature: "mistral:deprecation",
	}
	retired := deprecation
	retired.Outcome, retired.EndedAt = model.EventRetired, at(30*24*time.Hour)
	withdrawn := deprecation
	withdrawn.Outcome, withdrawn.EndedAt = model.EventRecovered, at(3*24*time.Hour)
	outageOver := outage
	outageOver.Outcome, outageOver.EndedAt = model.EventRecovered, at(47*time.Minute)
	return []struct {
		name string
		g    notify.Group
		now  time.Time
	}{
		{"regional_revocation", group(model.PhaseOpened, 1,
			revocation("ev-fable", "claude-fable-5", three...), revocation("ev-mythos", "claude-mythos-5", three...)), t0},
		{"widening_global", group(model.PhaseUpdated, 2,
			widened("ev-fable", "claude-fable-5"), widened("ev-mythos", "claude-mythos-5")), t0.Add(40 * time.Minute)},
		{"restoration", group(model.PhaseClosed, 3,
			restored("ev-fable", "claude-fable-5"), restored("ev-mythos", "claude-mythos-5")), t0.Add(2*time.Hour + 15*time.Minute)},
		{"outage", group(model.PhaseOpened, 1, outage), t0},
		{"vantage_fault", group(model.PhaseOpened, 1, vantage), t0},
		{"misconfigured", group(model.PhaseOpened, 1, misconf), t0},
		{"reminder", group(model.PhaseReminder, 4, widened("ev-fable", "claude-fable-5")), t0.Add(74 * time.Hour)},
		{"deprecation", group(model.PhaseOpened, 1, deprecation), t0},
		{"retired", group(model.PhaseClosed, 2, retired), t0.Add(30 * 24 * time.Hour)},
		{"withdrawn", group(model.PhaseClosed, 2, withdrawn), t0.Add(3 * 24 * time.Hour)},
		{"outage_recovered", group(model.PhaseClosed, 2, outageOver), t0.Add(time.Hour)},
		{"large_opened", large(model.PhaseOpened, "https://watch.example.org"), t0},
		{"large_updated", large(model.PhaseUpdated, "https://watch.example.org"), t0.Add(20 * time.Minute)},
		{"large_closed", large(model.PhaseClosed, ""), t0.Add(2 * time.Hour)},
	}
}

func TestBuildGolden(t *testing.T) {
	for _, tt := range buildCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.MarshalIndent(Build(tt.g, tt.now), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tt.name+".json")
			testkit.Golden(t, path, got)
		})
	}
}

// TestBuildSays checks the facts a reader needs, independent of the golden layout.
func TestBuildSays(t *testing.T) {
	want := map[string][]string{
		"regional_revocation": {"Revoked in 3 regions: anthropic claude-fable-5, claude-mythos-5", "🇮🇳 india", "🇦🇺 australia", "🇪🇺 europe",
			"2026-03-02 14:05 UTC", "`geo_blocked`", "Request not allowed", "regional: revoked in some regions"},
		"widening_global":  {"Revocation widened to every region", "Widened from 3 regions to 4: +🇺🇸 us", "global: revoked in every region"},
		"restoration":      {"Restored after 2h 14m", "restored after 2h 14m", "at its widest, global", "2026-03-02 14:05 UTC → 2026-03-02 16:19 UTC"},
		"outage":           {"Outage in every region: openai gpt-5.1", ", antarctica", "`timeout`"},
		"vantage_fault":    {"Vantage fault: eu-frankfurt-1", "vantage `eu-frankfurt-1` in 🇪🇺 europe", "socks5 proxy refused"},
		"misconfigured":    {"Probe misconfigured: mistral mistral-large-latest", "not a revocation", "&lt;html&gt;", "&amp; more"},
		"reminder":         {"Revocation still open after 3d 2h"},
		"deprecation":      {"Retirement announced", "mistral mistral-large-2407", "they still answer"},
		"retired":          {"Retired as announced: mistral mistral-large-2407"},
		"withdrawn":        {"Retirement withdrawn by the vendor: mistral mistral-large-2407"},
		"outage_recovered": {"Recovered after 47m: openai gpt-5.1"},
		"large_opened": {"Revoked in 30 regions: anthropic", "claude-model-04 and 5 more models", "`claude-model-09` — the 30 regions above — `geo_blocked` — since", "Open the incident page",
			"https://watch.example.org/incidents/inc-big", "🇮🇳 india", "claude-model-09"},
		"large_updated": {"Revocation spread to 2 more models, widened to 30 regions, restored for 1 model", "Now also: anthropic claude-model-10, claude-model-11",
			"Restored after 1h: anthropic claude-model-00", "restored after 1h", "new", "now 30 regions"},
		"large_closed": {"Restored after 2h: anthropic", "incident page: `/incidents/inc-big` on the collector"},
	}
	for _, tt := range buildCases() {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(Build(tt.g, tt.now))
			if err != nil {
				t.Fatal(err)
			}
			var decoded struct{ Text string }
			_ = json.Unmarshal(b, &decoded)
			// Compare on the decoded text so JSON escaping does not get in the way.
			var all any
			_ = json.Unmarshal(b, &all)
			text := flatten(all)
			for _, w := range want[tt.name] {
				if !strings.Contains(text, w) {
					t.Errorf("message lacks %q", w)
				}
			}
			if strings.Contains(text, "<html>") {
				t.Error("unescaped < in mrkdwn")
			}
			if decoded.Text == "" {
				t.Error("no fallback text")
			}
		})
	}
}

// flatten joins every string in a decoded JSON value.
func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v + "\n"
	case []any:
		var b strings.Builder
		for _, x := range v {
			b.WriteString(flatten(x))
		}
		return b.String()
	case map[string]any:
		var b strings.Builder
		for _, x := range v {
			b.WriteString(flatten(x))
		}
		return b.String()
	}
	return ""
}

func TestBuildBoundsLongInput(t *testing.T) {
	var evs []model.Event
	for i := range 30 {
		e := revocation("ev-"+strings.Repeat("x", i), strings.Repeat("m", 40)+string(rune('a'+i%26)), "india")
		e.Sample = strings.Repeat("```<>", 400)
		evs = append(evs, e)
	}
	m := Build(group(model.PhaseOpened, 1, evs...), t0)
	b, _ := json.Marshal(m)
	var v struct {
		Blocks []struct {
			Type string
			Text *struct{ Text string }
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, bl := range v.Blocks {
		if bl.Text == nil {
			continue
		}
		limit := MaxSection
		if bl.Type == "header" {
			limit = MaxHeader
		}
		if n := utf8.RuneCountInString(bl.Text.Text); n > limit {
			t.Errorf("%s block has %d chars, limit %d", bl.Type, n, limit)
		}
		if strings.Count(bl.Text.Text, "```") > 2 {
			t.Errorf("sample breaks out of its code block: %q", bl.Text.Text[:80])
		}
	}
	if !strings.Contains(string(b), "more models") {
		t.Error("details not summarised")
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{2*time.Hour + 14*time.Minute + 20*time.Second, "2h 14m"},
		{2 * time.Hour, "2h"},
		{74 * time.Hour, "3d 2h"},
		{48*time.Hour + 5*time.Minute, "2d"},
		{45*time.Minute + 3*time.Second, "45m 3s"},
		{30 * time.Second, "30s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatDuration(tt.d); got != tt.want {
				t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestRegionLabel(t *testing.T) {
	tests := []struct{ region, want string }{
		{"india", "🇮🇳 india"},
		{"europe", "🇪🇺 europe"},
		{"US", "🇺🇸 US"},
		{"de", "🇩🇪 de"},
		{"Hong Kong", "🇭🇰 Hong Kong"},
		{"mars", "mars"},
		{"xx", "xx"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			if got := regionLabel(tt.region); got != tt.want {
				t.Errorf("regionLabel(%q) = %q, want %q", tt.region, got, tt.want)
			}
		})
	}
}
