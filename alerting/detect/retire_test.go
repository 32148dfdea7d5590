package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// listRound feeds one batch of models-check results: per vantage a control OK and one result
// for model m with class c and, when retires is set, the vendor's retirement date.
func (h *harness) listRound(vps []vp, c func(v vp) model.Class, retires func(v vp) *time.Time) []model.EventUpdate {
	var rs []model.Result
	for _, v := range vps {
		rs = append(rs, h.res(v.id, v.region, "", "", ok))
		r := h.res(v.id, v.region, "mistral", "magistral-medium-latest", c(v))
		r.Check = model.CheckModels
		if retires != nil {
			if d := retires(v); d != nil {
				r.RetiresAt, r.Replacement = d, "mistral-medium-latest"
			}
		}
		rs = append(rs, r)
	}
	u := h.batch(rs...)
	h.tick()
	return u
}

func TestDeprecationWarnsOnceThenRetires(t *testing.T) {
	h := newHarness(t, Options{})
	vps := []vp{{"eu1", "europe"}, {"in1", "india"}, {"us1", "us"}}
	date := time.Date(2026, 7, 31, 12, 0, 0, 0, time.UTC)
	served := func(vp) model.Class { return ok }
	always := func(vp) *time.Time { return &date }
	notIndia := func(v vp) *time.Time {
		if v.region == "india" {
			return nil
		}
		return &date
	}

	// Two regions' lists announce the date: one early warning, regional, never a revocation.
	announced := h.now
	h.listRound(vps, served, notIndia)
	mustPhases(t, h.updates, "opened:deprecation")
	ev := h.updates[0].Event
	if ev.Condition != model.EventDeprecation || ev.Scope != model.ScopeRegional || !slices.Equal(ev.Regions, []string{"europe", "us"}) ||
		ev.RetiresAt == nil || !ev.RetiresAt.Equal(date) || !ev.StartedAt.Equal(announced) || len(ev.Evidence) != 2 ||
		ev.Signature != "deprecation:retires 2026-07-31" ||
		ev.Reason != "the vendor announces the model's retirement on 2026-07-31 12:00 UTC; replacement: mistral-medium-latest" {
		t.Fatalf("deprecation event = %+v", ev)
	}
	// Seen again: nothing new is said.
	h.listRound(vps, served, notIndia)
	mustPhases(t, h.updates, "opened:deprecation")
	for _, st := range h.e.Status() {
		if st.State != model.StateAvailable {
			t.Fatalf("%s is %s, want available: a deprecation is not a revocation", st.Region, st.State)
		}
	}
	// India's list shows it too: the warning widens to global.
	h.listRound(vps, served, always)
	mustPhases(t, h.updates, "opened:deprecation", "updated:deprecation")
	if ev := h.updates[1].Event; ev.Scope != model.ScopeGlobal || len(ev.Regions) != 3 {
		t.Fatalf("widened = %+v", ev)
	}
	// The vendor moves the date: that is news.
	later := date.AddDate(0, 1, 0)
	h.listRound(vps, served, func(vp) *time.Time { return &later })
	mustPhases(t, h.updates, "opened:deprecation", "updated:deprecation", "updated:deprecation")
	if ev := h.updates[2].Event; !ev.RetiresAt.Equal(later) || ev.Signature != "deprecation:retires 2026-08-31" {
		t.Fatalf("moved = %+v", ev)
	}
	if n := len(h.e.Reminders(time.Nanosecond)); n != 0 {
		t.Fatalf("%d reminders of a deprecation, want none", n)
	}

	// A restart keeps the open warning without announcing it again.
	snap, err := h.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, Options{})
	if err := h2.e.Restore(snap); err != nil {
		t.Fatal(err)
	}
	h2.now = h.now
	h = h2
	if evs := h.e.OpenEvents(); len(evs) != 1 || evs[0].Condition != model.EventDeprecation {
		t.Fatalf("open events after restore = %+v", evs)
	}

	// The model is withdrawn: the revocation opens and the warning closes as retired.
	for range 2 {
		h.listRound(vps, func(vp) model.Class { return gone }, nil)
	}
	mustPhases(t, h.updates, "opened:revoked", "closed:deprecation/retired")
	if ev := h.updates[1].Event; ev.Condition != model.EventDeprecation || ev.EndedAt == nil || ev.Scope != model.ScopeGlobal {
		t.Fatalf("retired = %+v", ev)
	}
	if u := h.listRound(vps, func(vp) model.Class { return gone }, nil); len(u) != 0 {
		t.Fatalf("after retirement: %v", phases(u))
	}
}

func TestDeprecationLiftedOrUnread(t *testing.T) {
	h := newHarness(t, Options{})
	vps := []vp{{"eu1", "europe"}, {"us1", "us"}}
	date := time.Date(2026, 7, 31, 0, 0, 0, 0, time.UTC)
	h.listRound(vps, func(vp) model.Class { return ok }, func(vp) *time.Time { return &date })
	mustPhases(t, h.updates, "opened:deprecation")
	if r := h.updates[0].Event.Reason; r != "the vendor announces the model's retirement on 2026-07-31; replacement: mistral-medium-latest" {
		t.Fatalf("reason %q", r)
	}
	// Failing lists (timeouts, a geo block) say nothing of the date: the warning stays.
	for _, c := range []model.Class{timeout, timeout, geo, geo} {
		h.listRound(vps, func(vp) model.Class { return c }, nil)
	}
	if got := phases(h.updates); slices.Contains(got, "closed:deprecation/recovered") || slices.Contains(got, "closed:deprecation/retired") {
		t.Fatalf("a failing list closed the warning: %v", got)
	}
	for range 2 {
		h.listRound(vps, func(vp) model.Class { return ok }, nil)
	}
	// The vendor lifts the date: the warning ends as recovered (after any outage/revocation
	// events the failing rounds opened and closed).
	var closed []model.Event
	for _, u := range h.updates {
		if u.Event.Condition == model.EventDeprecation && u.Phase == model.PhaseClosed {
			closed = append(closed, u.Event)
		}
	}
	if len(closed) != 1 || closed[0].Kind != model.EventDeprecation || closed[0].Outcome != model.EventRecovered || len(closed[0].Regions) != 2 {
		t.Fatalf("updates %v; deprecation closed as %+v", phases(h.updates), closed)
	}
	// Other checks never carry a date and never lift one.
	h.listRound(vps, func(vp) model.Class { return ok }, func(vp) *time.Time { return &date })
	n := len(h.updates)
	for range 3 {
		h.round(vps, "mistral", []string{"magistral-medium-latest"}, func(vp, string) model.Class { return ok })
	}
	if len(h.updates) != n || len(h.e.OpenEvents()) != 1 {
		t.Fatalf("generate results moved the warning: %v", phases(h.updates[n:]))
	}
}
