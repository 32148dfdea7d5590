package notify

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// perEvent counts, per event id, the notifications (Notify calls) that carried an update of it.
func perEvent(calls []call) map[string]int {
	n := map[string]int{}
	for _, c := range calls {
		seen := map[string]bool{}
		for _, u := range c.g.Updates {
			if !seen[u.Event.ID] {
				seen[u.Event.ID] = true
				n[u.Event.ID]++
			}
		}
	}
	return n
}

// Bound is the documented bound: at most 1 + ceil(duration / group_interval) + 1 notifications
// per event and receiver.
func bound(d, interval time.Duration) int {
	return 2 + int(math.Ceil(float64(d)/float64(interval)))
}

// TestFlappingBounded: an event whose regions flip every second for 20 s, and beside it a model
// that is revoked and restored every other second (a new event each time, the same incident),
// give at most 1 + ceil(20s / group_interval) + 1 notifications per event.
func TestFlappingBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack"}
		const interval = 5 * time.Second
		d := New(Options{Notifiers: []Notifier{f}, GroupWait: time.Second, GroupInterval: interval})
		stop := running(t, d)
		defer stop()
		start := time.Now()
		d.Submit(revoked("a", 1, "india"), revoked("keep", 1, "india"))
		seq := 1
		var flips []string
		for i := range 20 {
			time.Sleep(time.Second)
			seq++
			regions := []string{"india"}
			if i%2 == 0 {
				regions = append(regions, "us")
			}
			d.Submit(upd("a", "inc-1", model.PhaseUpdated, seq, "anthropic", "claude-a", model.EventRevoked, regions...))
			id := "flap-" + string(rune('a'+i/2))
			if i%2 == 0 {
				d.Submit(upd(id, "inc-1", model.PhaseOpened, 1, "anthropic", "claude-flap", model.EventRevoked, "europe"))
				flips = append(flips, id)
			} else {
				c := upd(id, "inc-1", model.PhaseClosed, 2, "anthropic", "claude-flap", model.EventRevoked, "europe")
				c.Event.Outcome = model.EventRestored
				d.Submit(c)
			}
		}
		flapping := time.Since(start)
		seq++
		d.Submit(upd("a", "inc-1", model.PhaseClosed, seq, "anthropic", "claude-a", model.EventRevoked, "india", "us"),
			upd("keep", "inc-1", model.PhaseClosed, 2, "anthropic", "claude-keep", model.EventRevoked, "india"))
		time.Sleep(3 * time.Second)
		synctest.Wait()
		calls := f.got()
		counts := perEvent(calls)
		max := bound(flapping, interval)
		t.Logf("%d notifications in %v of flapping (group_interval %v); per event %v; bound %d", len(calls), flapping, interval, counts, max)
		for id, n := range counts {
			if n > max {
				t.Errorf("event %s: %d notifications, bound %d", id, n, max)
			}
		}
		if counts["a"] < 3 {
			t.Errorf("event a: %d notifications; the changes must still be announced", counts["a"])
		}
		for _, id := range flips {
			if counts[id] == 0 {
				t.Errorf("flapping event %s never announced", id)
			}
		}
		if total := len(calls); total > max {
			t.Errorf("%d notifications for one incident, bound %d", total, max)
		}
		if last := calls[len(calls)-1].g; last.Phase != model.PhaseClosed {
			t.Errorf("last notification is %q, want closed", last.Phase)
		}
	})
}

// TestClosingNotHeldByInterval: an incident's end goes out after the group wait, not after the
// rest of the group interval.
func TestClosingNotHeldByInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack"}
		d := New(Options{Notifiers: []Notifier{f}, GroupWait: time.Second, GroupInterval: time.Hour})
		stop := running(t, d)
		defer stop()
		d.Submit(revoked("a", 1, "india"))
		time.Sleep(2 * time.Second)
		d.Submit(upd("a", "inc-1", model.PhaseUpdated, 2, "anthropic", "claude-a", model.EventRevoked, "india", "us"))
		time.Sleep(time.Minute)
		c := upd("a", "inc-1", model.PhaseClosed, 3, "anthropic", "claude-a", model.EventRevoked, "india", "us")
		c.Event.Outcome = model.EventRestored
		d.Submit(c)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		calls := f.got()
		if len(calls) != 2 || calls[1].g.Phase != model.PhaseClosed || len(calls[1].g.Updates) != 1 || calls[1].g.Updates[0].Seq != 3 {
			t.Fatalf("want the opening, then the closing alone (the pending update dropped), got %+v", calls)
		}
	})
}

// TestPartialDeliveryNotRepeated: a receiver that took the first update of a group and failed
// on the second gets only the second on the retry.
func TestPartialDeliveryNotRepeated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "hooks", errs: []error{Partial(1, Retryable(errors.New("503"), 0))}}
		log := NewMemLog()
		d := New(Options{Notifiers: []Notifier{f}, Log: log, Sleep: (&sleeps{}).sleep})
		stop := running(t, d)
		d.Submit(revoked("a", 1, "india"), revoked("b", 1, "india"))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		stop()
		calls := f.got()
		if len(calls) != 2 || len(calls[0].g.Updates) != 2 || len(calls[1].g.Updates) != 1 || calls[1].g.Updates[0].Event.ID != "b" {
			t.Fatalf("want [a b] then [b], got %+v", calls)
		}
		st := d.Stats().Receivers["hooks"]
		if st.Sent != 2 || st.Notifications != 1 || st.Failed != 0 {
			t.Errorf("stats %+v", st)
		}
		for _, k := range []string{"a/1", "b/1", IncidentKey("inc-1")} {
			if _, ok, _ := log.Get(context.Background(), "hooks", k); !ok {
				t.Errorf("log lacks %s", k)
			}
		}
	})
}

// TestPhasePerReceiver: a receiver whose route matched none of an incident's earlier events gets
// its first notification of the incident as the opening.
func TestPhasePerReceiver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		all := &fakeNotifier{name: "all"}
		onlyB := &fakeNotifier{name: "only-b"}
		d := New(Options{Notifiers: []Notifier{all, onlyB}, GroupInterval: 5 * time.Second, PublicURL: "https://watch.example.org/",
			Routes: []Route{{Receivers: []string{"all"}}, {Receivers: []string{"only-b"}, Models: []string{"claude-b"}}}})
		stop := running(t, d)
		defer stop()
		d.Submit(revoked("a", 1, "india"))
		time.Sleep(2 * time.Second)
		d.Submit(revoked("b", 1, "india"))
		time.Sleep(10 * time.Second)
		synctest.Wait()
		phases := func(f *fakeNotifier) []string {
			var out []string
			for _, c := range f.got() {
				out = append(out, c.g.Phase)
			}
			return out
		}
		if got := phases(all); !slices.Equal(got, []string{model.PhaseOpened, model.PhaseUpdated}) {
			t.Errorf("all: %v", got)
		}
		if got := phases(onlyB); !slices.Equal(got, []string{model.PhaseOpened}) {
			t.Errorf("only-b: %v", got)
		}
		if g := all.got()[0].g; g.URL != "https://watch.example.org/incidents/inc-1" {
			t.Errorf("url %q", g.URL)
		}
	})
}

// TestOutcomeRoutes: kinds: [revoked] carries a revocation's closing; kinds: [restored] carries
// only the closing.
func TestOutcomeRoutes(t *testing.T) {
	open := revoked("a", 1, "india").Event
	closed := open
	end := t0.Add(time.Hour)
	closed.EndedAt, closed.Outcome = &end, model.EventRestored
	out := upd("o", "i", model.PhaseClosed, 2, "openai", "gpt", model.EventOutage, "us").Event
	out.Outcome = model.EventRecovered
	for _, tt := range []struct {
		kinds []string
		e     model.Event
		want  bool
	}{
		{[]string{model.EventRevoked}, open, true},
		{[]string{model.EventRevoked}, closed, true},
		{[]string{model.EventRestored}, open, false},
		{[]string{model.EventRestored}, closed, true},
		{[]string{model.EventRestored}, out, false},
		{[]string{model.EventRecovered}, out, true},
	} {
		if got := (Route{Kinds: tt.kinds}).Matches(&tt.e); got != tt.want {
			t.Errorf("kinds %v, event %s/%s: %v, want %v", tt.kinds, tt.e.Kind, tt.e.Outcome, got, tt.want)
		}
	}
}
