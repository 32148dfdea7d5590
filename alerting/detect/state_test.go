package detect

import (
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

func TestHysteresis(t *testing.T) {
	tests := []struct {
		name          string
		fail, recover int
		seq           []model.Class
		want          model.State
		reason        string
		sinceStep     int // index in seq of the observation that starts the current state; -1: none
		events        []string
	}{
		{"single failure never moves", 2, 2, []model.Class{ok, ok, geo, ok, ok}, model.StateAvailable, "", 0, nil},
		{"fail_after 2 revokes", 2, 2, []model.Class{ok, ok, geo, geo}, model.StateRevoked, "", 2, []string{"opened:revoked"}},
		{"fail_after 3 needs three", 3, 2, []model.Class{ok, ok, geo, geo}, model.StateAvailable, "", 0, nil},
		{"fail_after 3 moves on third", 3, 2, []model.Class{ok, ok, geo, geo, geo}, model.StateRevoked, "", 2, []string{"opened:revoked"}},
		{"recover_after 3 needs three", 2, 3, []model.Class{ok, ok, geo, geo, ok, ok}, model.StateRevoked, "", 2, []string{"opened:revoked"}},
		{"recover_after 3 restores", 2, 3, []model.Class{ok, ok, geo, geo, ok, ok, ok}, model.StateAvailable, "", 4,
			[]string{"opened:revoked", "closed:revoked/restored"}},
		{"a fault between blocks breaks the streak", 2, 2, []model.Class{ok, ok, geo, timeout, geo, ok}, model.StateAvailable, "", 0, nil},
		{"down and degraded share a streak", 2, 2, []model.Class{ok, ok, timeout, overload}, model.StateDegraded, "", 2, []string{"opened:outage"}},
		{"misconfigured is unknown, not revoked", 2, 2, []model.Class{ok, ok, authFail, authFail}, model.StateUnknown, "auth_failed", 2,
			[]string{"opened:misconfigured"}},
		{"one observation decides nothing", 2, 2, []model.Class{ok}, model.StateUnknown, ReasonAwaiting, -1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{FailAfter: tc.fail, RecoverAfter: tc.recover})
			var times []time.Time
			for _, c := range tc.seq {
				times = append(times, h.now)
				h.observe(h.res("v1", "us", "p", "m", c))
				h.tick()
			}
			st := h.region("p", "m", "us")
			if st.State != tc.want || st.Reason != tc.reason {
				t.Fatalf("state = %s (%q), want %s (%q)", st.State, st.Reason, tc.want, tc.reason)
			}
			if tc.sinceStep >= 0 && !st.Since.Equal(times[tc.sinceStep]) {
				t.Errorf("since = %v, want %v", st.Since, times[tc.sinceStep])
			}
			if !st.LastChecked.Equal(times[len(times)-1]) {
				t.Errorf("last_checked = %v, want %v", st.LastChecked, times[len(times)-1])
			}
			mustPhases(t, h.updates, tc.events...)
		})
	}
}

func TestViewKeepsEvidenceSignatureAndSample(t *testing.T) {
	h := newHarness(t, Options{MaxEvidence: 4})
	for range 2 {
		h.observe(h.res("v1", "us", "p", "m", ok))
		h.tick()
	}
	var ids []string
	for range 6 {
		r := h.res("v1", "us", "p", "m", geo)
		ids = append(ids, r.ID)
		h.observe(r)
		h.tick()
	}
	vs := h.e.VantageStatus()
	if len(vs) != 2 || vs[1].Vantage != "v1" || vs[1].State != model.StateRevoked || vs[1].Signature != "p:geo_blocked" {
		t.Fatalf("vantage status = %+v", vs)
	}
	if vs[0].Provider != "" || vs[0].State != model.StateAvailable {
		t.Fatalf("vantage health entry = %+v", vs[0])
	}
	ev := h.e.OpenEvents()
	if len(ev) != 1 {
		t.Fatalf("open events = %+v", ev)
	}
	// The two results that moved the view are the event's evidence; the sample is one of them.
	if got := ev[0].Evidence; len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Errorf("evidence = %v, want %v", got, ids[:2])
	}
	if ev[0].Sample != `{"error":"geo_blocked"}` || ev[0].Signature != "p:geo_blocked" {
		t.Errorf("sample/signature = %q / %q", ev[0].Sample, ev[0].Signature)
	}
	l := h.e.views[vkey{"p", "m", "v1"}].Lanes[0]
	if len(l.Evidence) != 4 || l.Evidence[0] != ids[0] || l.Evidence[1] != ids[1] || l.Evidence[3] != ids[5] {
		t.Errorf("bounded view evidence = %v (ids %v)", l.Evidence, ids)
	}
}

func TestChecksKeepTheirOwnStreaks(t *testing.T) {
	// The list says the model is there, the completion is refused: revoked, even though the
	// two checks interleave.
	h := newHarness(t, Options{})
	for range 3 {
		r := h.res("v1", "us", "p", "m", ok)
		r.Check = model.CheckModels
		h.observe(r)
		h.observe(h.res("v1", "us", "p", "m", gone))
		h.tick()
	}
	if st := h.region("p", "m", "us"); st.State != model.StateRevoked {
		t.Fatalf("state = %s, want revoked", st.State)
	}
}

func TestLateResultIgnored(t *testing.T) {
	h := newHarness(t, Options{})
	late := h.res("v1", "us", "p", "m", geo) // probed at t0, arrives last
	h.tick()
	for range 2 {
		h.observe(h.res("v1", "us", "p", "m", ok))
		h.tick()
	}
	h.observe(h.res("v1", "us", "p", "m", geo))
	h.observe(late)
	if st := h.region("p", "m", "us"); st.State != model.StateAvailable {
		t.Fatalf("state = %s: a late result completed a streak", st.State)
	}
}

// TestVantagesDisagree: a region takes the best state any of its healthy vantages confirms
// (available > degraded > down > revoked); unknown views abstain.
func TestVantagesDisagree(t *testing.T) {
	tests := []struct {
		name   string
		seqs   map[string][]model.Class // vantage -> classes per round, all in one region
		want   model.State
		reason string
	}{
		{"one vantage decides alone", map[string][]model.Class{"a": {ok, ok, geo, geo}}, model.StateRevoked, ""},
		{"1 of 2 revoked: available", map[string][]model.Class{
			"a": {ok, ok, geo, geo, geo}, "b": {ok, ok, ok, ok, ok}}, model.StateAvailable, ReasonDisagree},
		{"1 of 2 down: available", map[string][]model.Class{
			"a": {ok, ok, timeout, timeout, timeout}, "b": {ok, ok, ok, ok, ok}}, model.StateAvailable, ReasonDisagree},
		{"2 of 2 revoke", map[string][]model.Class{
			"a": {ok, ok, geo, geo}, "b": {ok, ok, geo, geo}}, model.StateRevoked, ""},
		{"2 of 3 revoked, 1 available: available", map[string][]model.Class{
			"a": {ok, ok, geo, geo}, "b": {ok, ok, geo, geo}, "c": {ok, ok, ok, ok}}, model.StateAvailable, ReasonDisagree},
		{"revoked and down: down, never revoked", map[string][]model.Class{
			"a": {ok, ok, geo, geo}, "b": {ok, ok, timeout, timeout}}, model.StateDown, ReasonDisagree},
		{"down and degraded: degraded", map[string][]model.Class{
			"a": {ok, ok, timeout, timeout}, "b": {ok, ok, overload, overload}}, model.StateDegraded, ReasonDisagree},
		{"disagreement from the start: available", map[string][]model.Class{
			"a": {geo, geo}, "b": {ok, ok}}, model.StateAvailable, ReasonDisagree},
		{"an unreadable vantage abstains", map[string][]model.Class{
			"a": {ok, ok, geo, geo}, "b": {ok, ok, model.ClassBlockedPage, model.ClassBlockedPage}}, model.StateRevoked, ""},
		{"unconfirmed view waits", map[string][]model.Class{
			"a": {ok, ok}, "b": {geo}}, model.StateAvailable, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			for i := 0; ; i++ {
				var rs []model.Result
				for _, v := range []string{"a", "b", "c"} {
					if seq := tc.seqs[v]; i < len(seq) {
						rs = append(rs, h.res(v, "europe", "p", "m", seq[i]))
					}
				}
				if len(rs) == 0 {
					break
				}
				for _, r := range rs {
					h.observe(r)
				}
				h.tick()
			}
			st := h.region("p", "m", "europe")
			if st.State != tc.want || st.Reason != tc.reason {
				t.Fatalf("state = %s (%q), want %s (%q)", st.State, st.Reason, tc.want, tc.reason)
			}
			if tc.want == model.StateAvailable && len(h.updates) != 0 {
				t.Errorf("updates = %v, want none", phases(h.updates))
			}
		})
	}
}

func TestRegionSinceIsWhenTheMajorityFormed(t *testing.T) {
	h := newHarness(t, Options{})
	for range 2 { // both available
		h.batch(h.res("a", "eu", "p", "m", ok), h.res("b", "eu", "p", "m", ok))
		h.tick()
	}
	for range 2 { // a revoked, b still fine: 1 of 2
		h.batch(h.res("a", "eu", "p", "m", geo), h.res("b", "eu", "p", "m", ok))
		h.tick()
	}
	bStart := h.now
	for range 2 {
		h.batch(h.res("a", "eu", "p", "m", geo), h.res("b", "eu", "p", "m", geo))
		h.tick()
	}
	st := h.region("p", "m", "eu")
	if st.State != model.StateRevoked || !st.Since.Equal(bStart) || st.Vantages != 2 {
		t.Fatalf("status = %+v, want revoked since %v by 2 vantages", st, bStart)
	}
	tr := h.e.Transitions()
	if len(tr) != 2 || tr[0].To != model.StateAvailable || tr[1].From != model.StateAvailable ||
		tr[1].To != model.StateRevoked || !tr[1].At.Equal(bStart) || len(tr[1].Evidence) == 0 {
		t.Fatalf("transitions = %+v", tr)
	}
	if again := h.e.Transitions(); len(again) != 0 {
		t.Errorf("transitions not drained: %+v", again)
	}
}

// TestModelNeverSeenAvailable: a model answered "does not exist" from the start (a misspelt id,
// a usage tier our key lacks) was never withdrawn: it is unknown and ours to check, and opens no
// revocation. Once seen available anywhere, the same answer in a region is a revocation.
func TestModelNeverSeenAvailable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	for range 3 {
		h.round(fourRegions, "p", []string{"typo"}, func(vp, string) model.Class { return gone })
	}
	for _, v := range fourRegions {
		st := h.region("p", "typo", v.region)
		if st.State != model.StateUnknown || st.Reason != ReasonNeverAvailable {
			t.Errorf("%s: state %s (%s), want unknown (%s)", v.region, st.State, st.Reason, ReasonNeverAvailable)
		}
	}
	for _, u := range h.updates {
		if u.Event.Kind == "revoked" {
			t.Fatalf("a model never seen available opened %s", u.Event.Kind)
		}
	}

	h.round(fourRegions, "p", []string{"m"}, func(vp, string) model.Class { return ok })
	h.round(fourRegions, "p", []string{"m"}, func(vp, string) model.Class { return ok })
	decide := func(v vp, _ string) model.Class {
		if v.region == "india" {
			return gone
		}
		return ok
	}
	h.round(fourRegions, "p", []string{"m"}, decide)
	h.round(fourRegions, "p", []string{"m"}, decide)
	if st := h.region("p", "m", "india"); st.State != model.StateRevoked {
		t.Errorf("india after the model was seen: %s (%s), want revoked", st.State, st.Reason)
	}

	// The memory survives a restart.
	snap, err := h.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	e2 := New(Options{})
	if err := e2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if !e2.targets[tkey{"p", "m"}].seenAvailable() || e2.targets[tkey{"p", "typo"}].seenAvailable() {
		t.Error("seen-available not kept across a restore")
	}
}
