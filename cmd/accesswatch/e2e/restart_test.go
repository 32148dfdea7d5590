package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

const twoRegions = `server: { listen: "{{LISTEN}}" }
store: { path: "{{DIR}}/aw.db", flush_interval: 100ms }
geoip: { country_db: "{{COUNTRYDB}}", asn_db: "{{ASNDB}}" }
probing: { timeout: 2s, jitter: 0s }
alerting: { group_wait: 200ms, webhooks: [ { url: "{{HOOK}}/hook", secret: "${HOOK_SECRET}" } ] }
vantages:
  - { id: in-mumbai-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-virginia-1, region: us, country: US, source_ip: 127.0.4.1 }
providers:
  - { id: anthropic, kind: anthropic, base_url: "{{VENDOR}}/anthropic", api_key: k, models: [claude-fable-5, claude-sonnet-4-5],
      checks: [ { kind: generate, schedule: "@every 1s" } ] }
`

// TestRestartKeepsStateAndAnnouncesOnce stops the service while a revocation is open, lets the
// vendor restore access while it is down, and starts it again on the same store: the
// restoration is announced, the revocation is not announced a second time.
func TestRestartKeepsStateAndAnnouncesOnce(t *testing.T) {
	w := newWorld(t, "claude-fable-5", "claude-sonnet-4-5")
	hook := newReceiver(t)
	first := w.start(t, twoRegions, hook.srv.URL)
	first.awaitStatus(t, "available", 15*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, []string{"claude-fable-5"}, []string{"india", "us"}, model.StateAvailable)
	})
	w.vendor.Withdraw("claude-fable-5", "IN")
	opened := hook.await("revoked in india", 15*time.Second, func(d delivery) bool {
		return isEvent(d, model.PhaseOpened, model.EventRevoked, "claude-fable-5")
	})
	first.stop(t)

	w.vendor.Restore("claude-fable-5", "IN") // while nobody watches
	second := w.start(t, twoRegions, hook.srv.URL)
	closed := hook.await("restored after restart", 15*time.Second, func(d delivery) bool {
		return isClosing(d, model.EventRevoked, model.EventRestored, "claude-fable-5")
	})
	if closed.ID != opened.ID || closed.EndedAt == nil || closed.Kind != model.EventRevoked {
		t.Fatalf("restoration %s ended %v, want the event %s closed", closed.ID, closed.EndedAt, opened.ID)
	}
	// Give a duplicate a chance to arrive before counting.
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, d := range hook.deliveries() {
		if d.ID == opened.ID && d.Phase == model.PhaseOpened {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the revocation was announced %d times across the restart, want once:\n%s", n, describe(hook.deliveries()))
	}
	var evs struct{ Events []model.Event }
	second.get(t, "/api/v1/events?open=false&kind=restored", &evs)
	if len(evs.Events) != 1 || evs.Events[0].ID != opened.ID || evs.Events[0].Kind != model.EventRevoked ||
		evs.Events[0].Outcome != model.EventRestored {
		t.Fatalf("events API after restart: %+v", evs.Events)
	}
	// Nothing is announced twice: one delivery per (event, seq), and exactly one closing.
	seen := map[string]int{}
	closings := 0
	for _, d := range hook.deliveries() {
		seen[fmt.Sprintf("%s/%d", d.ID, d.Seq)]++
		if d.ID == opened.ID && d.Phase == model.PhaseClosed {
			closings++
		}
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("update %s delivered %d times", k, c)
		}
	}
	if closings != 1 {
		t.Errorf("the restoration was announced %d times, want once:\n%s", closings, describe(hook.deliveries()))
	}
}
