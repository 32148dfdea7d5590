package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

var (
	detectModels  = []string{"claude-fable-5", "claude-mythos-5", "claude-sonnet-4-5"}
	detectRegions = []string{"australia", "europe", "india", "us"}
)

// detectConfig: the figures — 1 s schedule, fail_after 2, recover_after 2, 3 models,
// 5 vantages, two of them in india; second is the second india vantage's line.
func detectConfig(second string) string {
	var b strings.Builder
	b.WriteString(`server: { listen: "{{LISTEN}}" }
store: { path: "{{DIR}}/aw.db", flush_interval: 100ms }
geoip: { country_db: "{{COUNTRYDB}}", asn_db: "{{ASNDB}}" }
probing: { timeout: 10s, jitter: 0s, verify_every: 1m }
detection: { fail_after: 2, recover_after: 2 }
alerting: { group_wait: 300ms, webhooks: [ { url: "{{HOOK}}/hook", secret: "${HOOK_SECRET}" } ] }
vantages:
`)
	for _, v := range vantages {
		fmt.Fprintf(&b, "  - { id: %s, region: %s, country: %s, source_ip: %s }\n", v.id, v.region, v.country, v.ip)
	}
	b.WriteString("  - " + second + "\n")
	fmt.Fprintf(&b, `providers:
  - id: anthropic
    kind: anthropic
    base_url: "{{VENDOR}}/anthropic"
    api_key: e2e-key
    models: [%s]
    checks:
      - { kind: generate, schedule: "@every 1s" }
`, strings.Join(detectModels, ", "))
	return b.String()
}

type apiEvents struct {
	Events []model.Event `json:"events"`
}

// TestGlobalOutageIsOneOutage: the vendor answers 529 to everyone. The first event anyone sees
// of each model — in /api/v1/events and in the first webhook — is one global outage over every
// region; its end is in /api/v1/events (ended_at set, kind still outage, outcome recovered)
// within 5 s of every target being available again.
func TestGlobalOutageIsOneOutage(t *testing.T) {
	w := newWorld(t, detectModels...)
	hook := newReceiver(t)
	run := w.start(t, detectConfig("{ id: in-mumbai-2, region: india, country: IN, source_ip: 127.0.1.2 }"), hook.srv.URL)
	run.awaitStatus(t, "available everywhere", 30*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, detectModels, detectRegions, model.StateAvailable)
	})

	// Watch the events API as often as a client would, and keep the first event seen per model.
	firstSeen := map[string]model.Event{}
	poll := func() []model.Event {
		var evs apiEvents
		run.get(t, "/api/v1/events?limit=100", &evs)
		for i := len(evs.Events) - 1; i >= 0; i-- { // oldest first
			e := evs.Events[i]
			if _, ok := firstSeen[e.Model]; !ok && e.Model != "" {
				firstSeen[e.Model] = e
			}
		}
		return evs.Events
	}
	overloadAt := time.Now()
	w.vendor.SetOverloaded(true)
	waitFor(t, "an event for every model in /api/v1/events", 30*time.Second, func() bool {
		poll()
		return len(firstSeen) == len(detectModels)
	})
	for _, m := range detectModels {
		e := firstSeen[m]
		if e.Kind != model.EventOutage || e.Condition != model.EventOutage || e.Scope != model.ScopeGlobal ||
			!slices.Equal(e.Regions, detectRegions) {
			t.Errorf("%s: first event in the API is %s %s %v, want one global outage over %v", m, e.Kind, e.Scope, e.Regions, detectRegions)
		}
	}
	for _, m := range detectModels {
		d := hook.await("the first webhook of "+m, 15*time.Second, func(d delivery) bool { return d.Model == m })
		if d.Phase != model.PhaseOpened || d.Kind != model.EventOutage || d.Scope != model.ScopeGlobal || !slices.Equal(d.Regions, detectRegions) {
			t.Errorf("%s: first webhook is %s %s %s %v, want opened global outage", m, d.Phase, d.Kind, d.Scope, d.Regions)
		} else {
			t.Logf("%s: 529 for everyone -> first webhook (opened global outage over %d regions): %v", m, len(d.Regions), d.At.Sub(overloadAt).Round(time.Millisecond))
		}
	}

	// The vendor recovers.
	w.vendor.SetOverloaded(false)
	run.awaitStatus(t, "available again", 30*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, detectModels, detectRegions, model.StateAvailable)
	})
	available := time.Now()
	var ended map[string]model.Event
	waitFor(t, "every outage ended in /api/v1/events", 15*time.Second, func() bool {
		ended = map[string]model.Event{}
		for _, e := range poll() {
			if e.EndedAt != nil && e.Model != "" {
				ended[e.Model] = e
			}
		}
		return len(ended) == len(detectModels)
	})
	lag := time.Since(available)
	t.Logf("every target available -> every outage ended in /api/v1/events: %v (figure: within 5s)", lag.Round(time.Millisecond))
	if lag > 5*time.Second {
		t.Errorf("ends visible %v after every target was available, want within 5s", lag)
	}
	for _, m := range detectModels {
		e := ended[m]
		if e.ID != firstSeen[m].ID || e.Kind != model.EventOutage || e.Outcome != model.EventRecovered || e.Scope != model.ScopeGlobal {
			t.Errorf("%s ended as id %s kind %s outcome %s scope %s; want %s kind outage outcome recovered, global",
				m, e.ID, e.Kind, e.Outcome, e.Scope, firstSeen[m].ID)
		}
	}
	var rec apiEvents
	run.get(t, "/api/v1/events?kind=recovered", &rec)
	if len(rec.Events) != len(detectModels) {
		t.Errorf("kind=recovered lists %d events, want the %d ended outages", len(rec.Events), len(detectModels))
	}
	// The outage never flipped kind on the way: every update of each model was an outage.
	for _, d := range hook.deliveries() {
		if d.Model != "" && d.Kind != model.EventOutage {
			t.Errorf("webhook %s of kind %s %v: the outage changed kind", d.Phase, d.Kind, d.Regions)
		}
	}
	t.Logf("webhooks:\n%s", describe(hook.deliveries()))
}

// TestBrokenVantageNeverMovesItsRegion: india has two vantages and one is broken — its proxy is
// dead, or its egress is in another country so its control check fails. India follows the
// healthy one: available while it is, revoked when the vendor withdraws a model from India
// (which the broken one, egressing from the US, would not see).
func TestBrokenVantageNeverMovesItsRegion(t *testing.T) {
	for _, tc := range []struct{ name, line string }{
		{"dead proxy", "{ id: in-proxied-1, region: india, country: IN, proxy: \"http://%s\" }"},
		{"egress in another country", "{ id: in-mumbai-2, region: india, country: IN, source_ip: 127.0.4.2 }"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := tc.line
			if strings.Contains(line, "%s") {
				line = fmt.Sprintf(line, deadAddr(t))
			}
			broken := strings.Fields(strings.TrimPrefix(line, "{ id: "))[0]
			broken = strings.TrimSuffix(broken, ",")
			w := newWorld(t, detectModels...)
			hook := newReceiver(t)
			run := w.start(t, detectConfig(line), hook.srv.URL)
			start := time.Now()
			run.awaitStatus(t, "available everywhere", 30*time.Second, func(m map[string]model.TargetStatus) bool {
				return allIn(m, detectModels, detectRegions, model.StateAvailable)
			})
			t.Logf("%s: india available %v after start-up, decided by in-mumbai-1 alone", tc.name, time.Since(start).Round(time.Millisecond))
			hook.await("vantage_fault for "+broken, 15*time.Second, func(d delivery) bool {
				return d.Phase == model.PhaseOpened && d.Kind == model.EventVantageFault && d.Vantage == broken
			})
			// A few more rounds: india stays available.
			deadline := time.Now().Add(4 * time.Second)
			for time.Now().Before(deadline) {
				run.awaitStatus(t, "india available", time.Second, func(m map[string]model.TargetStatus) bool {
					return allIn(m, detectModels, []string{"india"}, model.StateAvailable)
				})
				time.Sleep(200 * time.Millisecond)
			}
			// The vendor withdraws a model from India: india follows the healthy vantage.
			withdrawn := time.Now()
			w.vendor.Withdraw("claude-fable-5", "IN")
			run.awaitStatus(t, "india revoked", 20*time.Second, func(m map[string]model.TargetStatus) bool {
				return m["claude-fable-5/india"].State == model.StateRevoked &&
					allIn(m, []string{"claude-fable-5"}, []string{"australia", "europe", "us"}, model.StateAvailable)
			})
			t.Logf("%s: withdrawal in India -> india revoked by the healthy vantage: %v", tc.name, time.Since(withdrawn).Round(time.Millisecond))
			for _, d := range hook.deliveries() {
				switch {
				case d.Kind == model.EventOutage || d.Kind == model.EventDegraded || d.Kind == model.EventMisconfigured:
					t.Errorf("the broken vantage raised %s %s %v", d.Phase, d.Kind, d.Regions)
				case d.Kind == model.EventVantageFault && d.Vantage != broken:
					t.Errorf("vantage fault for a healthy vantage %s", d.Vantage)
				}
			}
		})
	}
}
