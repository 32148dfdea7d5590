package e2e

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// TestFlappingVendorBoundsNotifications runs the whole service against a vendor that withdraws
// and restores a model for India every 2 s for 20 s. Each event reaches the webhook at most
// 1 + ceil(duration / group_interval) + 1 times (its opening, one coalesced update per
// group_interval, its end), whatever the vendor does in between.
func TestFlappingVendorBoundsNotifications(t *testing.T) {
	const groupInterval = 4 * time.Second
	w := newWorld(t, "claude-fable-5", "claude-mythos-5", control)
	hook := newReceiver(t)
	sl := newFakeSlack(t, "xoxb-e2e-token")
	cfgText := strings.NewReplacer("{{SLACK}}", sl.srv.URL, "{{GRAFANA}}", "http://127.0.0.1:1",
		"group_interval: 1s", "group_interval: 4s").Replace(fleetConfig(deadAddr(t)))
	run := w.start(t, cfgText, hook.srv.URL)
	run.awaitStatus(t, "available in india", 20*time.Second, func(m map[string]model.TargetStatus) bool {
		return m["claude-fable-5/india"].State == model.StateAvailable
	})

	start := time.Now()
	for i := 0; time.Since(start) < 20*time.Second && i < 20; i++ {
		if i%2 == 0 {
			w.vendor.Withdraw("claude-fable-5", "IN")
		} else {
			w.vendor.Restore("claude-fable-5", "IN")
		}
		time.Sleep(2 * time.Second)
	}
	w.vendor.Restore("claude-fable-5", "IN")
	run.awaitStatus(t, "available again", 20*time.Second, func(m map[string]model.TargetStatus) bool {
		return m["claude-fable-5/india"].State == model.StateAvailable
	})
	time.Sleep(groupInterval + time.Second) // the last closing may wait one group_interval

	per := map[string][]delivery{}
	for _, d := range hook.deliveries() {
		if d.Model == "claude-fable-5" {
			per[d.ID] = append(per[d.ID], d)
		}
	}
	if len(per) == 0 {
		t.Fatal("the flapping vendor opened no event at all")
	}
	total := 0
	for id, ds := range per {
		total += len(ds)
		last := ds[len(ds)-1]
		end := time.Now()
		if last.EndedAt != nil {
			end = *last.EndedAt
		}
		bound := 2 + int(math.Ceil(end.Sub(last.StartedAt).Seconds()/groupInterval.Seconds()))
		t.Logf("event %s (%s): %d notifications over %v, bound %d", id, last.Kind, len(ds),
			end.Sub(last.StartedAt).Round(time.Second), bound)
		if len(ds) > bound {
			t.Errorf("event %s: %d notifications, bound %d: %s", id, len(ds), bound, describe(ds))
		}
		seen := map[int]bool{}
		for _, d := range ds {
			if seen[d.Seq] {
				t.Errorf("event %s: update %d delivered twice", id, d.Seq)
			}
			seen[d.Seq] = true
		}
	}
	t.Logf("flapping for 20s with a flip every 2s: %d events, %d notifications to the webhook", len(per), total)
	for _, d := range hook.deliveries() {
		if d.Model == control || d.Model == "claude-mythos-5" {
			t.Errorf("a model that never flapped was announced: %+v", d.Event)
		}
	}
}
