package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// FuzzObserve feeds random sequences of results (random vantages moving between regions,
// classes, checks, mismatches, times going back), with restarts and reminders, and checks the
// engine's invariants.
func FuzzObserve(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte("revoke revoke restore restore outage vantage"))
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(runFuzzBody)
}

// runFuzzBody is FuzzObserve's body.
func runFuzzBody(t *testing.T, data []byte) {
	if len(data) > 1024 {
		data = data[:1024]
	}
	now, ids := t0, 0
	o := Options{FailAfter: 1 + int(len(data)%3), RecoverAfter: 1 + int(len(data)/3%3), MaxEvidence: 3,
		IncidentWindow: 5 * time.Minute,
		Now:            func() time.Time { return now },
		NewID:          func(time.Time) string { ids++; return fmt.Sprintf("ev%d", ids) }}
	e := New(o)
	inv := newInvariants()
	classes := model.Classes()
	regions := []string{"us", "eu", "in"}
	var batch []model.Result
	for i := 0; i+1 < len(data); i += 2 {
		a, b := data[i], data[i+1]
		r := model.Result{ID: fmt.Sprintf("r%d", i), Vantage: fmt.Sprintf("v%d", a%4),
			Region: regions[(int(a%4)+int(b>>7))%3], Provider: fmt.Sprintf("p%d", a>>2%2),
			Model: fmt.Sprintf("m%d", a>>3%3), Check: model.CheckGenerate}
		c := classes[int(b)%len(classes)]
		r.Classification = model.Classification{Class: c, Access: model.AccessOf(c), Signature: string(c)}
		switch a >> 5 {
		case 0:
			r.Check, r.Provider, r.Model = model.CheckControl, "", ""
		case 1:
			r.Check = model.CheckModels
		}
		r.VantageMismatch = b%29 == 0
		if b%13 == 0 {
			now = now.Add(-time.Minute) // late or reordered results
		} else {
			now = now.Add(time.Duration(b%4) * 20 * time.Second)
		}
		r.Time = now
		var us []model.EventUpdate
		switch {
		case a%11 == 0:
			batch = append(batch, r)
			continue
		case len(batch) > 0:
			us = e.ObserveBatch(append(batch, r))
			batch = batch[:0]
		default:
			us = e.Observe(r)
		}
		if b%17 == 0 {
			us = append(us, e.Reminders(time.Minute)...)
		}
		inv.check(t, us, e.OpenEvents())
		if b%31 == 0 {
			snap, err := e.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			e = New(o)
			if err := e.Restore(snap); err != nil {
				t.Fatalf("restore own snapshot: %v", err)
			}
		}
	}
	for _, s := range e.Status() {
		if s.State == "" {
			t.Fatalf("empty state: %+v", s)
		}
	}
}

type invariants struct {
	seq    map[string]int // last Seq per event id
	closed map[string]bool
	kind   map[string]string // the kind each event opened as
}

func newInvariants() *invariants {
	return &invariants{seq: map[string]int{}, closed: map[string]bool{}, kind: map[string]string{}}
}

func groupOf(ev model.Event) string {
	switch ev.Condition {
	case model.EventDegraded, model.EventOutage:
		return "fault"
	}
	return ev.Condition
}

func (inv *invariants) check(t *testing.T, us []model.EventUpdate, open []model.Event) {
	t.Helper()
	for _, u := range us {
		id := u.Event.ID
		if inv.closed[id] {
			t.Fatalf("update after close: %+v", u)
		}
		if last, seen := inv.seq[id]; u.Seq <= last || !seen && (u.Phase != model.PhaseOpened || u.Seq != 1) || seen && u.Phase == model.PhaseOpened {
			t.Fatalf("seq %d (%s) after %d for %s", u.Seq, u.Phase, inv.seq[id], id)
		}
		inv.seq[id] = u.Seq
		if k, seen := inv.kind[id]; seen && k != u.Event.Kind || u.Event.Kind != u.Event.Condition {
			t.Fatalf("kind moved: opened as %s, now %s (condition %s)", k, u.Event.Kind, u.Event.Condition)
		}
		inv.kind[id] = u.Event.Kind
		if (u.Event.Kind == model.EventOutage) != (u.Event.Scope == model.ScopeGlobal) && u.Event.Kind == model.EventOutage {
			t.Fatalf("outage of scope %s: %+v", u.Event.Scope, u.Event)
		}
		if (u.Phase == model.PhaseClosed) != (u.Event.Outcome != "") {
			t.Fatalf("%s with outcome %q", u.Phase, u.Event.Outcome)
		}
		if u.Phase == model.PhaseClosed {
			inv.closed[id] = true
			if u.Event.EndedAt == nil || u.Event.EndedAt.Before(u.Event.StartedAt) {
				t.Fatalf("closed event ends before it starts: %+v", u.Event)
			}
		} else if u.Event.EndedAt != nil {
			t.Fatalf("%s event has EndedAt: %+v", u.Phase, u.Event)
		}
		if u.Event.IncidentID == "" || u.Event.Regions == nil {
			t.Fatalf("event without incident or regions: %+v", u.Event)
		}
	}
	keys := map[string]bool{}
	for _, ev := range open {
		k := ev.Provider + "/" + ev.Model + "/" + ev.Vantage + "/" + groupOf(ev)
		if keys[k] {
			t.Fatalf("two open events for %s", k)
		}
		keys[k] = true
		if _, seen := inv.seq[ev.ID]; !seen || inv.closed[ev.ID] || ev.EndedAt != nil {
			t.Fatalf("open event never opened or already closed: %+v", ev)
		}
	}
}
