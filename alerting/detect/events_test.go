package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

func TestUnhealthyVantage(t *testing.T) {
	tests := []struct {
		name   string
		fault  func(h *harness) []model.Result // one round from the broken vantage in1
		reason string
	}{
		{"dead proxy: control and vendor unreachable", func(h *harness) []model.Result {
			return []model.Result{h.res("in1", "india", "", "", refused), h.res("in1", "india", "p", "m", refused)}
		}, "control failed: connection_refused"},
		{"control fails, vendor says geo blocked", func(h *harness) []model.Result {
			return []model.Result{h.res("in1", "india", "", "", timeout), h.res("in1", "india", "p", "m", geo)}
		}, "control failed: timeout"},
		{"egress in the wrong country", func(h *harness) []model.Result {
			c, m := h.res("in1", "india", "", "", ok), h.res("in1", "india", "p", "m", geo)
			c.VantageMismatch, m.VantageMismatch = true, true
			return []model.Result{c, m}
		}, ReasonMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			vps := []vp{{"in1", "india"}, {"us1", "us"}}
			for range 2 {
				h.round(vps, "p", []string{"m"}, func(vp, string) model.Class { return ok })
			}
			faultStart := h.now
			for range 4 {
				h.batch(append(tc.fault(h), h.res("us1", "us", "", "", ok), h.res("us1", "us", "p", "m", ok))...)
				h.tick()
			}
			mustPhases(t, h.updates, "opened:vantage_fault")
			ev := h.updates[0].Event
			if ev.Scope != model.ScopeVantage || ev.Vantage != "in1" || !slices.Equal(ev.Regions, []string{"india"}) ||
				ev.Reason != tc.reason || !ev.StartedAt.Equal(faultStart) || len(ev.Evidence) == 0 {
				t.Fatalf("vantage fault = %+v", ev)
			}
			st := h.region("p", "m", "india")
			if st.State != model.StateAvailable || st.Reason != ReasonNoHealthyVantage {
				t.Fatalf("india = %s (%q), want available kept with no healthy vantage", st.State, st.Reason)
			}
			vh := h.e.Vantages()
			if len(vh) != 2 || vh[0].ID != "in1" || vh[0].Healthy || vh[0].Reason != tc.reason || !vh[1].Healthy {
				t.Fatalf("vantages = %+v", vh)
			}
			// The vantage recovers and the vendor answers: the fault closes, nothing else.
			okStart := h.now
			for range 2 {
				h.round(vps, "p", []string{"m"}, func(vp, string) model.Class { return ok })
			}
			mustPhases(t, h.updates, "opened:vantage_fault", "closed:vantage_fault/recovered")
			if end := h.updates[1].Event.EndedAt; end == nil || !end.Equal(okStart) || h.updates[1].Seq != 2 {
				t.Fatalf("closed = %+v", h.updates[1])
			}
			if st := h.region("p", "m", "india"); st.Reason != "" {
				t.Errorf("india reason = %q after recovery", st.Reason)
			}
		})
	}
}

func TestHealthyVantageFaultsAreDisruptions(t *testing.T) {
	tests := []struct {
		name   string
		broken []string
		kind   string
		scope  string
		state  model.State
	}{
		{"resets in one region: regional degradation", []string{"india"}, model.EventDegraded, model.ScopeRegional, model.StateDown},
		{"resets everywhere: outage", []string{"australia", "europe", "india", "us"}, model.EventOutage, model.ScopeGlobal, model.StateDown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			decide := func(v vp, _ string) model.Class {
				if in(v.region, tc.broken...) {
					return reset
				}
				return ok
			}
			for range 2 {
				h.round(fourRegions, "p", []string{"m"}, func(vp, string) model.Class { return ok })
			}
			for range 3 {
				h.round(fourRegions, "p", []string{"m"}, decide)
			}
			mustPhases(t, h.updates, "opened:"+tc.kind)
			ev := h.updates[0].Event
			if ev.Scope != tc.scope || ev.Condition != tc.kind || !slices.Equal(ev.Regions, tc.broken) {
				t.Fatalf("event = %+v", ev)
			}
			if st := h.region("p", "m", tc.broken[0]); st.State != tc.state {
				t.Fatalf("%s = %s, want %s", tc.broken[0], st.State, tc.state)
			}
		})
	}
}

func TestRevocationWidensAndIsRestored(t *testing.T) {
	h := newHarness(t, Options{})
	all := func(c model.Class) func(vp, string) model.Class { return func(vp, string) model.Class { return c } }
	for range 2 {
		h.round(fourRegions, "p", []string{"m"}, all(ok))
	}
	start := h.now
	for range 3 {
		h.round(fourRegions, "p", []string{"m"}, func(v vp, _ string) model.Class {
			if v.region == "us" {
				return ok
			}
			return geo
		})
	}
	mustPhases(t, h.updates, "opened:revoked")
	opened := h.updates[0]
	if opened.Seq != 1 || opened.Event.Scope != model.ScopeRegional || !opened.Event.StartedAt.Equal(start) ||
		!slices.Equal(opened.Event.Regions, []string{"australia", "europe", "india"}) {
		t.Fatalf("opened = %+v", opened)
	}
	wideAt := h.now
	for range 3 {
		h.round(fourRegions, "p", []string{"m"}, all(geo))
	}
	mustPhases(t, h.updates, "opened:revoked", "updated:revoked")
	up := h.updates[1]
	if up.Seq != 2 || up.Event.ID != opened.Event.ID || up.Event.Scope != model.ScopeGlobal || len(up.Event.Regions) != 4 {
		t.Fatalf("updated = %+v", up)
	}
	wantChanges := []model.EventChange{
		{At: start, Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: []string{"australia", "europe", "india"}},
		{At: wideAt, Kind: model.EventRevoked, Scope: model.ScopeGlobal, Regions: []string{"australia", "europe", "india", "us"}},
	}
	if !slices.EqualFunc(up.Event.Changes, wantChanges, changeEqual) {
		t.Fatalf("changes = %+v, want %+v", up.Event.Changes, wantChanges)
	}
	restoredAt := h.now
	for range 2 {
		h.round(fourRegions, "p", []string{"m"}, all(ok))
	}
	mustPhases(t, h.updates, "opened:revoked", "updated:revoked", "closed:revoked/restored")
	cl := h.updates[2]
	if cl.Seq != 3 || cl.Event.EndedAt == nil || !cl.Event.EndedAt.Equal(restoredAt) ||
		cl.Event.Duration(time.Time{}) != restoredAt.Sub(start) || cl.Event.Condition != model.EventRevoked ||
		cl.Event.Scope != model.ScopeGlobal || len(cl.Event.Regions) != 4 {
		t.Fatalf("closed = %+v", cl)
	}
	if len(h.e.OpenEvents()) != 0 {
		t.Errorf("open events remain: %+v", h.e.OpenEvents())
	}
}

func changeEqual(a, b model.EventChange) bool {
	return a.At.Equal(b.At) && a.Kind == b.Kind && a.Scope == b.Scope && slices.Equal(a.Regions, b.Regions)
}

func TestUnbatchedRegionsOpenOneEvent(t *testing.T) {
	// Results fed one by one within a round: the round settles before the event is judged, so
	// it opens once, over every region (global).
	h := newHarness(t, Options{})
	for range 2 {
		for _, v := range fourRegions[:2] {
			h.observe(h.res(v.id, v.region, "p", "m", ok))
		}
		h.tick()
	}
	for range 2 {
		for _, v := range fourRegions[:2] {
			h.observe(h.res(v.id, v.region, "p", "m", geo))
		}
		h.tick()
	}
	mustPhases(t, h.updates, "opened:revoked")
	if ev := h.updates[0].Event; ev.Scope != model.ScopeGlobal || len(ev.Regions) != 2 {
		t.Fatalf("opened = %+v", ev)
	}
}

func TestMisconfigured(t *testing.T) {
	h := newHarness(t, Options{})
	vps := fourRegions[:2]
	for range 2 {
		h.round(vps, "p", []string{"m"}, func(vp, string) model.Class { return ok })
	}
	for range 2 {
		h.round(vps, "p", []string{"m"}, func(vp, string) model.Class { return authFail })
	}
	mustPhases(t, h.updates, "opened:misconfigured")
	ev := h.updates[0].Event
	if ev.Scope != model.ScopeGlobal || ev.Reason != "auth_failed" || len(ev.Regions) != 2 {
		t.Fatalf("event = %+v", ev)
	}
	if st := h.region("p", "m", "europe"); st.State != model.StateUnknown || st.Reason != "auth_failed" {
		t.Fatalf("europe = %+v", st)
	}
	for range 2 {
		h.round(vps, "p", []string{"m"}, func(vp, string) model.Class { return ok })
	}
	mustPhases(t, h.updates, "opened:misconfigured", "closed:misconfigured/recovered")
}

func TestExpiredKeyDuringRevocationIsNotARestoration(t *testing.T) {
	h := newHarness(t, Options{})
	vps := fourRegions[:2]
	steps := []struct {
		c    model.Class
		want []string
	}{
		{ok, nil},
		{geo, []string{"opened:revoked"}},
		{authFail, []string{"opened:misconfigured"}},
		{ok, []string{"closed:misconfigured/recovered", "closed:revoked/restored"}},
	}
	for _, s := range steps {
		h.updates = nil
		for range 2 {
			h.round(vps, "p", []string{"m"}, func(vp, string) model.Class { return s.c })
		}
		got := phases(h.updates)
		slices.Sort(got)
		if !slices.Equal(got, s.want) {
			t.Fatalf("after %s: updates %v, want %v", s.c, got, s.want)
		}
	}
}

func TestIncidentGrouping(t *testing.T) {
	h := newHarness(t, Options{IncidentWindow: 10 * time.Minute})
	vps := fourRegions
	models := []string{"fable", "mythos", "later"}
	blocked := map[string]bool{}
	decide := func(v vp, m string) model.Class {
		if blocked[m] && v.region != "us" {
			return geo
		}
		return ok
	}
	for range 2 {
		h.round(vps, "anthropic", models, decide)
		h.round(vps, "other", models, decide)
	}
	blocked["fable"] = true
	h.round(vps, "anthropic", models, decide)
	blocked["mythos"] = true // one round later: the same vendor decision
	for range 3 {
		h.round(vps, "anthropic", models, decide)
		h.round(vps, "other", models, decide)
	}
	mustPhases(t, h.updates, "opened:revoked", "opened:revoked", "opened:revoked", "opened:revoked")
	// "other" sees the same blocks: same window, other provider, so its own incident.
	byModel := map[string]model.Event{}
	for _, u := range h.updates {
		byModel[u.Event.Provider+"/"+u.Event.Model] = u.Event
	}
	fable, mythos := byModel["anthropic/fable"], byModel["anthropic/mythos"]
	other, other2 := byModel["other/fable"], byModel["other/mythos"]
	if fable.IncidentID != fable.ID || mythos.IncidentID != fable.ID || len(fable.Regions) != 3 || len(mythos.Regions) != 3 {
		t.Fatalf("fable %+v\nmythos %+v", fable, mythos)
	}
	if other.ID == "" || other.IncidentID != other.ID || other2.IncidentID != other.ID {
		t.Fatalf("other provider: %+v\n%+v", other, other2)
	}
	// An hour later a third model is withdrawn: a new incident.
	h.now = h.now.Add(time.Hour)
	h.updates = nil
	blocked["later"] = true
	for range 2 {
		h.round(vps, "anthropic", models, decide)
	}
	mustPhases(t, h.updates, "opened:revoked")
	if ev := h.updates[0].Event; ev.Model != "later" || ev.IncidentID != ev.ID {
		t.Fatalf("later = %+v", ev)
	}
}

func TestReminders(t *testing.T) {
	h := newHarness(t, Options{})
	vps := fourRegions[:2]
	for range 2 {
		h.round(vps, "p", []string{"m"}, func(vp, string) model.Class { return ok })
	}
	for range 2 {
		h.round(vps, "p", []string{"m"}, func(v vp, _ string) model.Class {
			if v.region == "europe" {
				return geo
			}
			return overload
		})
	}
	mustPhases(t, h.updates, "opened:revoked", "opened:degraded")
	openedAt := h.now
	steps := []struct {
		after time.Duration
		want  []string
	}{
		{30 * time.Minute, nil},
		{61 * time.Minute, []string{"reminder:revoked"}},
		{62 * time.Minute, nil},
		{122 * time.Minute, []string{"reminder:revoked"}},
	}
	seq := 1
	for _, s := range steps {
		h.now = openedAt.Add(s.after)
		got := h.e.Reminders(time.Hour)
		mustPhases(t, got, s.want...)
		for _, u := range got {
			if seq++; u.Seq != seq {
				t.Fatalf("reminder seq = %d, want %d", u.Seq, seq)
			}
		}
	}
	if got := h.e.Reminders(0); got != nil {
		t.Errorf("Reminders(0) = %v", got)
	}
}

func Test2026Timeline(t *testing.T) {
	h := newHarness(t, Options{})
	vps := []vp{{"au1", "australia"}, {"eu1", "europe"}, {"eu2", "europe"}, {"in1", "india"}, {"us1", "us"}}
	models := []string{"fable", "mythos", "haiku"}
	var revoked []string
	decide := func(v vp, m string) model.Class {
		if m != "haiku" && in(v.region, revoked...) {
			return geo
		}
		return ok
	}
	for range 3 {
		h.round(vps, "anthropic", models, decide)
	}
	if len(h.updates) != 0 {
		t.Fatalf("updates while everything works: %v", phases(h.updates))
	}
	regionalAt := h.now
	revoked = []string{"india", "australia", "europe"}
	for range 3 {
		h.round(vps, "anthropic", models, decide)
	}
	mustPhases(t, h.updates, "opened:revoked", "opened:revoked")
	if h.updates[0].Event.IncidentID != h.updates[1].Event.IncidentID {
		t.Fatalf("two incidents for one decision")
	}
	for _, u := range h.updates {
		if u.Event.Scope != model.ScopeRegional || !slices.Equal(u.Event.Regions, []string{"australia", "europe", "india"}) {
			t.Fatalf("regional = %+v", u.Event)
		}
	}
	if st := h.region("anthropic", "fable", "us"); st.State != model.StateAvailable {
		t.Fatalf("us = %s", st.State)
	}
	if st := h.region("anthropic", "mythos", "europe"); st.State != model.StateRevoked || st.Vantages != 2 || !st.Since.Equal(regionalAt) {
		t.Fatalf("europe = %+v", st)
	}
	revoked = append(revoked, "us")
	for range 3 {
		h.round(vps, "anthropic", models, decide)
	}
	mustPhases(t, h.updates, "opened:revoked", "opened:revoked", "updated:revoked", "updated:revoked")
	restoredAt := h.now
	revoked = nil
	for range 3 {
		h.round(vps, "anthropic", models, decide)
	}
	mustPhases(t, h.updates, "opened:revoked", "opened:revoked", "updated:revoked", "updated:revoked",
		"closed:revoked/restored", "closed:revoked/restored")
	for _, u := range h.updates {
		if u.Event.Model == "haiku" {
			t.Fatalf("control model alerted: %+v", u)
		}
		if u.Phase == model.PhaseClosed && (u.Event.Duration(time.Time{}) != restoredAt.Sub(regionalAt) || u.Event.Scope != model.ScopeGlobal) {
			t.Fatalf("closed = %+v", u.Event)
		}
	}
	for _, st := range h.e.Status() {
		if st.State != model.StateAvailable {
			t.Errorf("%s/%s/%s = %s at the end", st.Provider, st.Model, st.Region, st.State)
		}
	}
}

func TestDeadProxyWhateverTheOrder(t *testing.T) {
	// Results fed one by one, the vendor's before or after the control's: a vantage whose
	// proxy is dead never moves its region.
	for _, modelFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "control first", true: "model first"}[modelFirst], func(t *testing.T) {
			h := newHarness(t, Options{})
			feed := func(c model.Class) {
				ctl, m := h.res("in1", "india", "", "", c), h.res("in1", "india", "p", "m", c)
				if modelFirst {
					ctl, m = m, ctl
				}
				h.observe(ctl)
				h.observe(m)
				h.tick()
			}
			for range 2 {
				feed(ok)
			}
			for range 4 {
				feed(refused)
			}
			mustPhases(t, h.updates, "opened:vantage_fault")
			if st := h.region("p", "m", "india"); st.State != model.StateAvailable {
				t.Fatalf("india = %s", st.State)
			}
		})
	}
}

func TestMismatchWithoutControlRecovers(t *testing.T) {
	h := newHarness(t, Options{})
	for range 2 {
		h.observe(h.res("v1", "us", "p", "m", ok))
		h.tick()
	}
	r := h.res("v1", "us", "p", "m", geo)
	r.VantageMismatch = true
	h.observe(r)
	h.tick()
	if vh := h.e.Vantages(); vh[0].Healthy || vh[0].Reason != ReasonMismatch {
		t.Fatalf("after mismatch: %+v", vh)
	}
	cleanAt := h.now
	for range 2 {
		h.observe(h.res("v1", "us", "p", "m", ok))
		h.tick()
	}
	mustPhases(t, h.updates, "opened:vantage_fault", "closed:vantage_fault/recovered")
	if vh := h.e.Vantages(); !vh[0].Healthy || !vh[0].Since.Equal(cleanAt) {
		t.Fatalf("after clean results: %+v", vh)
	}
}

func TestVantageMovesRegion(t *testing.T) {
	h := newHarness(t, Options{})
	for range 2 {
		h.observe(h.res("v1", "us", "p", "m", ok))
		h.tick()
	}
	for range 2 {
		h.observe(h.res("v1", "europe", "p", "m", geo))
		h.tick()
	}
	if st := h.region("p", "m", "europe"); st.State != model.StateRevoked {
		t.Fatalf("europe = %+v", st)
	}
	if st := h.region("p", "m", "us"); st.State != model.StateAvailable || st.Reason != ReasonNoHealthyVantage {
		t.Fatalf("us = %+v", st)
	}
}
