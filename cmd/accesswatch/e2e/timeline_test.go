package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/simvendor"
)

var (
	withdrawn = []string{"claude-fable-5", "claude-mythos-5"}
	control   = "claude-sonnet-4-5"
	regional  = []string{"IN", "AU", "DE", "FR", "NL"}
)

// fleetConfig: four vantages, plus a US vantage whose proxy is dead; every check each second.
func fleetConfig(deadProxy string) string {
	var b strings.Builder
	b.WriteString(`server: { listen: "{{LISTEN}}" }
store: { path: "{{DIR}}/aw.db", flush_interval: 100ms }
geoip: { country_db: "{{COUNTRYDB}}", asn_db: "{{ASNDB}}" }
probing: { timeout: 2s, jitter: 0s, verify_every: 1m }
detection: { fail_after: 2, recover_after: 2 }
alerting:
  group_wait: 300ms
  group_interval: 1s
  webhooks: [ { url: "{{HOOK}}/hook", secret: "${HOOK_SECRET}" } ]
  slack: [ { name: newsroom, token: xoxb-e2e-token, channel: "#access", api_url: "{{SLACK}}/" } ]
grafana: { url: "{{GRAFANA}}", token: glsa_e2e_token }
vantages:
`)
	for _, v := range vantages {
		fmt.Fprintf(&b, "  - { id: %s, region: %s, country: %s, source_ip: %s }\n", v.id, v.region, v.country, v.ip)
	}
	fmt.Fprintf(&b, "  - { id: us-proxied-1, region: us, country: US, proxy: \"http://%s\" }\n", deadProxy)
	b.WriteString(`providers:
  - id: anthropic
    kind: anthropic
    base_url: "{{VENDOR}}/anthropic"
    api_key: e2e-key
    models: [claude-fable-5, claude-mythos-5, claude-sonnet-4-5]
    checks:
      - { kind: models, schedule: "@every 1s" }
      - { kind: generate, schedule: "@every 1s" }
`)
	return b.String()
}

func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func allIn(m map[string]model.TargetStatus, models, regions []string, s model.State) bool {
	for _, mo := range models {
		for _, r := range regions {
			if m[mo+"/"+r].State != s {
				return false
			}
		}
	}
	return true
}

func isEvent(d delivery, phase, kind, modelID string) bool {
	return d.Phase == phase && d.Kind == kind && d.Model == modelID
}

// isClosing: the closing update of modelID's event of kind, which ended with outcome (the
// event keeps its kind when it ends).
func isClosing(d delivery, kind, outcome, modelID string) bool {
	return isEvent(d, model.PhaseClosed, kind, modelID) && d.Outcome == outcome
}

// TestTimeline2026 replays the 2026 revocation through the real pipeline and checks what the
// webhook receiver is told, and how fast.
func TestTimeline2026(t *testing.T) {
	w := newWorld(t, append(slices.Clone(withdrawn), control)...)
	hook := newReceiver(t)
	sl := newFakeSlack(t, "xoxb-e2e-token")
	var annMu sync.Mutex
	var annotations []string
	graf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/api/annotations" && r.Header.Get("Authorization") == "Bearer glsa_e2e_token" {
			annMu.Lock()
			annotations = append(annotations, string(b))
			annMu.Unlock()
		}
		fmt.Fprint(w, `{"id":1,"message":"Annotation added"}`)
	}))
	defer graf.Close()
	cfgText := strings.NewReplacer("{{SLACK}}", sl.srv.URL, "{{GRAFANA}}", graf.URL).Replace(fleetConfig(deadAddr(t)))
	run := w.start(t, cfgText, hook.srv.URL)
	all := []string{"australia", "europe", "india", "us"}
	models := append(slices.Clone(withdrawn), control)

	run.awaitStatus(t, "available everywhere", 20*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, models, all, model.StateAvailable)
	})
	// The dead proxy is the vantage's own fault: one vantage_fault event, no outage anywhere.
	fault := hook.await("vantage_fault for us-proxied-1", 10*time.Second, func(d delivery) bool {
		return d.Phase == model.PhaseOpened && d.Kind == model.EventVantageFault && d.Vantage == "us-proxied-1"
	})
	if fault.Scope != model.ScopeVantage || !slices.Equal(fault.Regions, []string{"us"}) {
		t.Errorf("vantage fault: scope %q regions %v", fault.Scope, fault.Regions)
	}

	// 1. Withdrawn for India, Australia and the EU.
	changed := time.Now()
	for _, m := range withdrawn {
		w.vendor.Withdraw(m, regional...)
	}
	var first time.Time
	for _, m := range withdrawn {
		d := hook.await("revoked "+m, 15*time.Second, func(d delivery) bool { return isEvent(d, model.PhaseOpened, model.EventRevoked, m) })
		if first.IsZero() || d.At.Before(first) {
			first = d.At
		}
	}
	latency := first.Sub(changed)
	t.Logf("vendor change -> first revocation webhook: %v (fail_after 2, schedule 1s, group_wait 300ms)", latency.Round(time.Millisecond))
	if latency > 6*time.Second {
		t.Errorf("revocation announced %v after the change; the target is 3s", latency)
	}
	for _, m := range withdrawn {
		d := hook.await("revoked "+m+" in three regions", 10*time.Second, func(d delivery) bool {
			return d.Kind == model.EventRevoked && d.Model == m && slices.Equal(d.Regions, []string{"australia", "europe", "india"})
		})
		if d.Scope != model.ScopeRegional {
			t.Errorf("%s: scope %q, want regional while us is available", m, d.Scope)
		}
	}
	run.awaitStatus(t, "revoked in three regions", 10*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, withdrawn, []string{"australia", "europe", "india"}, model.StateRevoked) &&
			allIn(m, withdrawn, []string{"us"}, model.StateAvailable) && allIn(m, []string{control}, all, model.StateAvailable)
	})

	// Prometheus sees the same states.
	metrics := run.text(t, "/metrics")
	for _, want := range []string{
		`accesswatch_access_state{model="claude-fable-5",provider="anthropic",region="india",state="revoked"} 1`,
		`accesswatch_access_state{model="claude-fable-5",provider="anthropic",region="us",state="available"} 1`,
		`accesswatch_vantage_healthy{region="us",vantage="us-proxied-1"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// 2. Withdrawn for everyone: the same events widen to global.
	for _, m := range withdrawn {
		w.vendor.Withdraw(m, simvendor.Everyone)
	}
	ids := map[string]string{}
	for _, m := range withdrawn {
		d := hook.await("revocation of "+m+" widening to global", 15*time.Second, func(d delivery) bool {
			return d.Kind == model.EventRevoked && d.Model == m && d.Scope == model.ScopeGlobal
		})
		if !slices.Equal(d.Regions, all) {
			t.Errorf("%s global: regions %v", m, d.Regions)
		}
		ids[m] = d.ID
	}

	// 3. Restored everywhere: each event closes with its duration.
	restoredAt := time.Now()
	for _, m := range withdrawn {
		w.vendor.Restore(m, simvendor.Everyone)
	}
	for _, m := range withdrawn {
		d := hook.await("restored "+m, 15*time.Second, func(d delivery) bool { return isClosing(d, model.EventRevoked, model.EventRestored, m) })
		if d.ID != ids[m] || d.EndedAt == nil || !d.EndedAt.After(d.StartedAt) || d.Condition != model.EventRevoked {
			t.Errorf("%s restoration: id %s (want %s) started %v ended %v condition %q", m, d.ID, ids[m], d.StartedAt, d.EndedAt, d.Condition)
		} else {
			t.Logf("%s: revoked for %v, restoration announced %v after the vendor restored it", m,
				d.EndedAt.Sub(d.StartedAt).Round(time.Millisecond), d.At.Sub(restoredAt).Round(time.Millisecond))
		}
	}

	// The API tells the same story.
	var evs struct {
		Events []struct {
			model.Event
			DurationSeconds float64 `json:"duration_seconds"`
		}
	}
	run.get(t, "/api/v1/events?kind=restored", &evs)
	if len(evs.Events) != 2 || evs.Events[0].DurationSeconds <= 0 || evs.Events[0].IncidentID != evs.Events[1].IncidentID {
		t.Errorf("events API: %+v; want two restored events of one incident with durations", evs.Events)
	}

	// Slack: the revocation of both models is one message; the restoration is a reply in its thread.
	var opening, closing []slackPost
	sl.await(t, "the restoration", 10*time.Second, func(ps []slackPost) bool {
		opening, closing = nil, nil
		for _, p := range ps {
			switch {
			case strings.Contains(strings.ToLower(p.Text), "restored"):
				closing = append(closing, p)
			case strings.Contains(p.Text, "claude-fable-5") && strings.Contains(p.Text, "claude-mythos-5") && p.ThreadTS == "":
				opening = append(opening, p)
			}
		}
		return len(closing) > 0
	})
	if len(opening) != 1 || closing[0].ThreadTS != opening[0].TS || opening[0].Channel != "#access" {
		t.Errorf("slack: openings %+v, restorations %+v; want one opening naming both models and the restoration in its thread", opening, closing)
	}

	// Grafana got an annotation for the revocation and one spanning it once restored.
	waitFor(t, "grafana annotations", 10*time.Second, func() bool {
		annMu.Lock()
		defer annMu.Unlock()
		var opened, closed bool
		for _, a := range annotations {
			opened = opened || strings.Contains(a, `"revoked"`) && strings.Contains(a, `"claude-fable-5"`)
			closed = closed || strings.Contains(a, `"restored"`) && strings.Contains(a, `"timeEnd"`)
		}
		return opened && closed
	})

	// Nothing else was announced: no event for the control model, no outage from the dead proxy.
	for _, d := range hook.deliveries() {
		switch {
		case d.Model == control:
			t.Errorf("control model raised %s %s", d.Phase, d.Kind)
		case d.Kind == model.EventOutage || d.Kind == model.EventDegraded:
			t.Errorf("the dead proxy made an outage: %s %v", d.Kind, d.Regions)
		case d.Kind == model.EventVantageFault && d.Vantage != "us-proxied-1":
			t.Errorf("vantage fault for a healthy vantage %s", d.Vantage)
		}
	}
}
