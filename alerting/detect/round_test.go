package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// fiveVantages: the fleet, two of them in india.
var fiveVantages = []vp{{"au1", "australia"}, {"eu1", "europe"}, {"in1", "india"}, {"in2", "india"}, {"us1", "us"}}

var allRegions = []string{"australia", "europe", "india", "us"}

// spreadRound feeds one round result by result, the clock moving by step between results
// (answers arriving as their requests end), then lets it settle.
func (h *harness) spreadRound(vps []vp, models []string, step time.Duration, decide func(v vp, mdl string) model.Class) []model.EventUpdate {
	n := len(h.updates)
	start := h.now
	for _, v := range vps {
		h.observe(h.res(v.id, v.region, "", "", ok))
		for _, m := range models {
			h.now = h.now.Add(step)
			r := h.res(v.id, v.region, "p", m, decide(v, m))
			r.Time = start
			r.EndedAt = h.now
			h.observe(r)
		}
	}
	h.tick()
	return h.updates[n:]
}

func every(c model.Class) func(vp, string) model.Class {
	return func(vp, string) model.Class { return c }
}

func byModel(us []model.EventUpdate) map[string][]model.EventUpdate {
	out := map[string][]model.EventUpdate{}
	for _, u := range us {
		out[u.Event.Model] = append(out[u.Event.Model], u)
	}
	return out
}

// TestGlobalOutageOpensOnceAndRecoversInPlace: a 529 for everyone, fed result by result over
// most of a second per round, opens one global outage per model (never "degraded [us]" first);
// a partial recovery is one update of the same outage; the end keeps the kind and says
// recovered.
func TestGlobalOutageOpensOnceAndRecoversInPlace(t *testing.T) {
	h := newHarness(t, Options{Settle: 2 * time.Second})
	models := []string{"m1", "m2", "m3"}
	step := 50 * time.Millisecond // 15 results a round: 750 ms from first to last
	for range 2 {
		h.spreadRound(fiveVantages, models, step, every(ok))
	}
	if len(h.updates) != 0 {
		t.Fatalf("updates while available: %v", phases(h.updates))
	}
	failFrom := h.now
	for range 3 {
		h.spreadRound(fiveVantages, models, step, every(overload))
	}
	got := byModel(h.updates)
	for _, m := range models {
		mustPhases(t, got[m], "opened:outage")
		ev := got[m][0].Event
		if ev.Scope != model.ScopeGlobal || ev.Condition != model.EventOutage || !slices.Equal(ev.Regions, allRegions) ||
			ev.StartedAt.Before(failFrom) || len(ev.Changes) != 1 {
			t.Fatalf("%s opened = %+v", m, ev)
		}
	}
	ids := map[string]string{}
	for _, m := range models {
		ids[m] = got[m][0].Event.ID
	}

	// Europe recovers first: one update per model, still an outage, still global.
	h.updates = nil
	europe := func(v vp, _ string) model.Class {
		if v.region == "europe" {
			return ok
		}
		return overload
	}
	for range 2 {
		h.spreadRound(fiveVantages, models, step, europe)
	}
	got = byModel(h.updates)
	for _, m := range models {
		mustPhases(t, got[m], "updated:outage")
		ev := got[m][0].Event
		if ev.ID != ids[m] || ev.Scope != model.ScopeGlobal || !slices.Equal(ev.Regions, []string{"australia", "india", "us"}) {
			t.Fatalf("%s partial recovery = %+v", m, ev)
		}
		prev := ev.Changes[len(ev.Changes)-2].Regions
		if !slices.Equal(prev, allRegions) || ev.Changes[len(ev.Changes)-1].Kind != model.EventOutage {
			t.Fatalf("%s changes = %+v", m, ev.Changes)
		}
	}

	// Everyone recovers: the outage closes as itself, recovered, at the first good answer.
	h.updates = nil
	recoverAt := h.now
	for range 2 {
		h.spreadRound(fiveVantages, models, step, every(ok))
	}
	got = byModel(h.updates)
	for _, m := range models {
		mustPhases(t, got[m], "closed:outage/recovered")
		ev := got[m][0].Event
		if ev.ID != ids[m] || ev.EndedAt == nil || ev.EndedAt.Before(recoverAt) || ev.EndedAt.After(recoverAt.Add(time.Second)) ||
			ev.Scope != model.ScopeGlobal || !slices.Equal(ev.Regions, allRegions) || ev.Condition != model.EventOutage {
			t.Fatalf("%s closed = %+v (recovery from %v)", m, ev, recoverAt)
		}
	}
	if len(h.e.OpenEvents()) != 0 {
		t.Fatalf("open events remain: %+v", h.e.OpenEvents())
	}
}

// TestFaultKindIsChosenOnceAtOpening: a fault everywhere, down in some regions and degraded
// in others, is an outage; a regional degradation that spreads everywhere stays degraded (its
// scope widens to global) and never becomes an outage while it is open.
func TestFaultKindIsChosenOnceAtOpening(t *testing.T) {
	t.Run("mixed down and degraded everywhere: outage", func(t *testing.T) {
		h := newHarness(t, Options{})
		for range 2 {
			h.round(fourRegions, "p", []string{"m"}, every(ok))
		}
		for range 2 {
			h.round(fourRegions, "p", []string{"m"}, func(v vp, _ string) model.Class {
				if v.region == "india" || v.region == "us" {
					return timeout
				}
				return overload
			})
		}
		mustPhases(t, h.updates, "opened:outage")
		if ev := h.updates[0].Event; ev.Scope != model.ScopeGlobal || len(ev.Regions) != 4 {
			t.Fatalf("opened = %+v", ev)
		}
	})
	t.Run("regional degradation that spreads", func(t *testing.T) {
		h := newHarness(t, Options{})
		for range 2 {
			h.round(fourRegions, "p", []string{"m"}, every(ok))
		}
		for range 2 {
			h.round(fourRegions, "p", []string{"m"}, func(v vp, _ string) model.Class {
				if v.region == "us" {
					return overload
				}
				return ok
			})
		}
		for range 2 {
			h.round(fourRegions, "p", []string{"m"}, every(overload))
		}
		for range 2 {
			h.round(fourRegions, "p", []string{"m"}, every(ok))
		}
		mustPhases(t, h.updates, "opened:degraded", "updated:degraded", "closed:degraded/recovered")
		if up := h.updates[1].Event; up.Scope != model.ScopeGlobal || len(up.Regions) != 4 || up.Condition != model.EventDegraded {
			t.Fatalf("spread = %+v", up)
		}
		for _, u := range h.updates {
			for _, c := range u.Event.Changes {
				if c.Kind != model.EventDegraded {
					t.Fatalf("change of kind %s in %+v", c.Kind, u.Event)
				}
			}
		}
	})
}

// TestOneBrokenVantageOfTwoNeverMovesTheRegion: india has two vantages; whatever is wrong with
// in2 (its proxy dead from start-up, its control failing while its vendor requests are
// answered, or a healthy vantage that sees timeouts or a block the other does not), india
// follows in1.
func TestOneBrokenVantageOfTwoNeverMovesTheRegion(t *testing.T) {
	vps := []vp{{"in1", "india"}, {"in2", "india"}, {"us1", "us"}}
	tests := []struct {
		name    string
		control model.Class // in2's control answer
		vendor  model.Class // what in2 gets from the vendor
		fault   bool        // in2 raises a vantage_fault
	}{
		{"dead proxy", refused, refused, true},
		{"control failing, vendor geo-blocks it", timeout, geo, true},
		{"healthy vantage with timeouts", ok, timeout, false},
		{"healthy vantage with a block the other does not see", ok, geo, false},
	}
	for _, tc := range tests {
		for _, fromStart := range []bool{true, false} {
			name := tc.name + map[bool]string{true: ", from start-up", false: ", mid-way"}[fromStart]
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, Options{})
				in1 := ok
				feed := func(broken bool) {
					for _, v := range vps {
						ctl, c := ok, in1
						if v.id == "in2" && broken {
							ctl, c = tc.control, tc.vendor
						} else if v.id == "us1" {
							c = ok
						}
						// the vendor's answer first, then the control, as requests end
						h.observe(h.res(v.id, v.region, "p", "m", c))
						h.observe(h.res(v.id, v.region, "", "", ctl))
					}
					h.tick()
				}
				if !fromStart {
					for range 2 {
						feed(false)
					}
				}
				for range 4 {
					feed(true)
				}
				if st := h.region("p", "m", "india"); st.State != model.StateAvailable {
					t.Fatalf("india = %s (%s), want available as in1 sees it", st.State, st.Reason)
				}
				// in1 sees a real revocation: india follows it, broken in2 or not.
				in1 = geo
				for range 2 {
					feed(true)
				}
				if st := h.region("p", "m", "india"); st.State != model.StateRevoked && (tc.fault || tc.vendor == geo) {
					t.Fatalf("india = %s (%s), want revoked as in1 sees it", st.State, st.Reason)
				}
				var kinds []string
				for _, u := range h.updates {
					if u.Phase == model.PhaseOpened {
						kinds = append(kinds, u.Event.Kind)
					}
				}
				slices.Sort(kinds)
				var want []string
				switch {
				case tc.fault:
					want = []string{model.EventRevoked, model.EventVantageFault}
				case tc.vendor == geo:
					want = []string{model.EventRevoked}
				default: // in2 sees timeouts: india is down (the best both confirm), not revoked
					want = []string{model.EventDegraded}
				}
				if !slices.Equal(kinds, want) {
					t.Fatalf("opened %v, want %v:\n%v", kinds, want, phases(h.updates))
				}
			})
		}
	}
}

// TestStatesAreDatedByWhenTheAnswerCame: Since is the EndedAt of the first result of the
// streak, and a slow request that ends after a faster, later one still counts.
func TestStatesAreDatedByWhenTheAnswerCame(t *testing.T) {
	h := newHarness(t, Options{})
	for range 2 {
		h.observe(h.res("v1", "us", "p", "m", ok))
		h.tick()
	}
	slow := h.res("v1", "us", "p", "m", timeout) // started now, timed out 10 s later
	slow.EndedAt = h.now.Add(10 * time.Second)
	fast := h.res("v1", "us", "p", "m", timeout) // started a second later, refused at once
	fast.Time = h.now.Add(time.Second)
	fast.EndedAt = h.now.Add(1100 * time.Millisecond)
	h.observe(fast)
	h.observe(slow)
	h.tick()
	st := h.region("p", "m", "us")
	if st.State != model.StateDown || !st.Since.Equal(fast.EndedAt) || !st.LastChecked.Equal(slow.EndedAt) {
		t.Fatalf("us = %+v; want down since %v, last checked %v", st, fast.EndedAt, slow.EndedAt)
	}
	mustPhases(t, h.updates, "opened:outage")
	if !h.updates[0].Event.StartedAt.Equal(fast.EndedAt) {
		t.Fatalf("started %v, want %v", h.updates[0].Event.StartedAt, fast.EndedAt)
	}
}

// TestRoundSettles: events wait Settle after the first unjudged change; Flush before that says
// nothing, after it says everything once; a negative Settle judges at once.
func TestRoundSettles(t *testing.T) {
	h := newHarness(t, Options{Settle: 3 * time.Second})
	for range 2 {
		h.observe(h.res("v1", "us", "p", "m", ok))
		h.tick()
	}
	h.updates = nil
	h.observe(h.res("v1", "us", "p", "m", geo))
	h.now = h.now.Add(time.Second)
	h.observe(h.res("v1", "us", "p", "m", geo)) // the region moves now
	if len(h.updates) != 0 {
		t.Fatalf("judged before the round settled: %v", phases(h.updates))
	}
	due, pending := h.e.Pending()
	if !pending || !due.Equal(h.now.Add(3*time.Second)) {
		t.Fatalf("pending = %v %v, want %v", due, pending, h.now.Add(3*time.Second))
	}
	h.now = due.Add(-time.Millisecond)
	if u := h.e.Flush(); len(u) != 0 {
		t.Fatalf("flushed early: %v", phases(u))
	}
	h.now = due
	mustPhases(t, h.e.Flush(), "opened:revoked")
	if u := h.e.Flush(); len(u) != 0 {
		t.Fatalf("flushed twice: %v", phases(u))
	}
	if _, still := h.e.Pending(); still {
		t.Fatal("still pending")
	}

	at := newHarness(t, Options{Settle: -1})
	for _, c := range []model.Class{ok, ok, geo} {
		at.observe(at.res("v1", "us", "p", "m", c))
	}
	mustPhases(t, at.observe(at.res("v1", "us", "p", "m", geo)), "opened:revoked")
}

// TestRestoreKeepsTheOpeningKind: a snapshot from before kinds were fixed, whose event kind had
// moved with its scope, is restored as the kind it opened as.
func TestRestoreKeepsTheOpeningKind(t *testing.T) {
	h := newHarness(t, Options{})
	for range 2 {
		h.round(fourRegions, "p", []string{"m"}, every(ok))
	}
	for range 2 {
		h.round(fourRegions, "p", []string{"m"}, func(v vp, _ string) model.Class {
			if v.region == "us" {
				return overload
			}
			return ok
		})
	}
	mustPhases(t, h.updates, "opened:degraded")
	for _, oe := range h.e.open {
		oe.Event.Kind = model.EventOutage // as the old engine wrote it once widened
	}
	snap, err := h.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, Options{})
	if err := h2.e.Restore(snap); err != nil {
		t.Fatal(err)
	}
	h2.now = h.now
	if evs := h2.e.OpenEvents(); len(evs) != 1 || evs[0].Kind != model.EventDegraded {
		t.Fatalf("restored = %+v", evs)
	}
	// The restore judges once a round later; nothing changed, so nothing is said.
	h2.tick()
	if len(h2.updates) != 0 {
		t.Fatalf("restore re-announced: %v", phases(h2.updates))
	}
}
