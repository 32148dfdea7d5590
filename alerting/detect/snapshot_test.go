package detect

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
)

// restart snapshots h's engine and continues in a fresh one, as a restarted process would.
func (h *harness) restart(t *testing.T) {
	t.Helper()
	b, err := h.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	o := h.e.o
	h.e = New(o)
	if err := h.e.Restore(b); err != nil {
		t.Fatal(err)
	}
	again, err := h.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Fatalf("snapshot after restore differs:\n%s\n%s", b, again)
	}
}

func TestSnapshotRestore(t *testing.T) {
	vps := fourRegions
	geoOutsideUS := func(v vp, _ string) model.Class {
		if v.region == "us" {
			return ok
		}
		return geo
	}
	allOK := func(vp, string) model.Class { return ok }
	tests := []struct {
		name string
		run  func(h *harness) // before the restart; then the vendor restores access
		want []string         // updates after the restart
	}{
		{"open revocation closes after restart", func(h *harness) {
			h.round(vps, "p", []string{"m"}, geoOutsideUS)
			h.round(vps, "p", []string{"m"}, geoOutsideUS)
		}, []string{"closed:revoked/restored"}},
		{"restoration half-seen before the restart", func(h *harness) {
			h.round(vps, "p", []string{"m"}, geoOutsideUS)
			h.round(vps, "p", []string{"m"}, geoOutsideUS)
			h.round(vps, "p", []string{"m"}, allOK) // first good round, streak survives
		}, []string{"closed:revoked/restored"}},
		{"revocation half-seen before the restart opens once", func(h *harness) {
			h.round(vps, "p", []string{"m"}, geoOutsideUS)
		}, []string{"opened:revoked", "closed:revoked/restored"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			for range 2 {
				h.round(vps, "p", []string{"m"}, allOK)
			}
			tc.run(h)
			before := h.e.OpenEvents()
			status := h.e.Status()
			h.restart(t)
			if got := h.e.OpenEvents(); !reflect.DeepEqual(got, before) {
				t.Fatalf("open events after restore:\n%+v\nwant\n%+v", got, before)
			}
			if got := h.e.Status(); !reflect.DeepEqual(got, status) {
				t.Fatalf("status after restore:\n%+v\nwant\n%+v", got, status)
			}
			h.updates = nil
			if len(before) == 0 {
				h.round(vps, "p", []string{"m"}, geoOutsideUS) // completes the streak
			}
			for range 3 {
				h.round(vps, "p", []string{"m"}, geoOutsideUS) // still revoked: nothing new
			}
			for range 2 {
				h.round(vps, "p", []string{"m"}, allOK)
			}
			mustPhases(t, h.updates, tc.want...)
			if len(before) == 1 {
				cl := h.updates[0]
				if cl.Event.ID != before[0].ID || cl.Seq != 2 {
					t.Fatalf("closed %s seq %d, want %s seq 2", cl.Event.ID, cl.Seq, before[0].ID)
				}
			}
		})
	}
}

func TestSnapshotKeepsVantageFaultsAndIncidents(t *testing.T) {
	h := newHarness(t, Options{})
	for range 2 {
		h.observe(h.res("in1", "india", "", "", timeout))
		h.tick()
	}
	models := []string{"a", "b"}
	for range 2 {
		h.round([]vp{{"us1", "us"}}, "p", models[:1], func(vp, string) model.Class { return geo })
	}
	h.restart(t)
	// The second model joins the incident opened before the restart.
	for range 2 {
		h.round([]vp{{"us1", "us"}}, "p", models, func(vp, string) model.Class { return geo })
	}
	for range 2 {
		h.observe(h.res("in1", "india", "", "", ok))
		h.tick()
	}
	mustPhases(t, h.updates, "opened:vantage_fault", "opened:revoked", "opened:revoked", "closed:vantage_fault/recovered")
	if a, b := h.updates[1].Event, h.updates[2].Event; b.IncidentID != a.ID {
		t.Fatalf("incident lost across restart: %s vs %s", b.IncidentID, a.ID)
	}
	if vf := h.updates[3]; vf.Event.ID != h.updates[0].Event.ID || vf.Seq != 2 {
		t.Fatalf("vantage fault closed = %+v", vf)
	}
}

func TestRestoreRejectsBadInput(t *testing.T) {
	h := newHarness(t, Options{})
	for range 2 {
		h.round(fourRegions, "p", []string{"m"}, func(vp, string) model.Class { return geo })
	}
	good, err := h.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
	}{
		{"not json", "{"},
		{"wrong version", `{"version":99}`},
		{"view of unknown vantage", `{"version":1,"views":[{"provider":"p","model":"m","vantage":"nope"}]}`},
		{"event of unknown group", `{"version":1,"regions":[{"provider":"p","model":"m","region":"us","state":"revoked"}],
			"events":[{"event":{"id":"x","provider":"p","model":"m"},"group":"weird"}]}`},
		{"duplicate vantage", `{"version":1,"vantages":[{"id":"a"},{"id":"a"}]}`},
		{"null event", `{"version":1,"events":[null]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.e.Restore([]byte(tc.in)); err == nil {
				t.Fatal("Restore accepted it")
			}
			after, err := h.e.Snapshot()
			if err != nil || !bytes.Equal(after, good) {
				t.Fatalf("engine changed by a failed Restore")
			}
		})
	}
	if n := len(h.e.OpenEvents()); n != 1 || !slices.Equal(h.e.OpenEvents()[0].Regions, []string{"australia", "europe", "india", "us"}) {
		t.Fatalf("open events = %+v", h.e.OpenEvents())
	}
}

// TestRestoreKeepsOnlyTheConfiguredWorld: a snapshot holding targets and vantages the config no
// longer names (junk pushed before the collector bounded its input) restores without them.
func TestRestoreKeepsOnlyTheConfiguredWorld(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	for i := range 3 {
		h.round(fourRegions, "p", []string{"m", fmt.Sprintf("junk-%d", i)}, func(v vp, mdl string) model.Class {
			if v.region == "india" {
				return geo
			}
			return ok
		})
	}
	snap, err := h.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	keep := &Keep{
		Target:  func(provider, mdl string) bool { return provider == "p" && mdl == "m" },
		Vantage: func(id string) bool { return id != "au1" },
	}
	e := New(Options{Keep: keep})
	if err := e.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for _, st := range e.Status() {
		if st.Model != "m" || st.Provider != "p" {
			t.Errorf("restored a target the config does not name: %+v", st)
		}
	}
	for _, vh := range e.Vantages() {
		if vh.ID == "au1" {
			t.Error("restored a vantage the config does not name")
		}
	}
	for _, ev := range e.OpenEvents() {
		if ev.Model != "m" {
			t.Errorf("resumed an event of %s", ev.Model)
		}
	}
	if len(e.OpenEvents()) == 0 {
		t.Error("the kept revocation in india was not resumed")
	}
}
