package detect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// snapshotVersion is bumped whenever the snapshot format changes incompatibly.
const snapshotVersion = 1

type snapshot struct {
	Version     int                `json:"version"`
	Vantages    []*vantage         `json:"vantages"`
	Regions     []*region          `json:"regions"`
	Views       []*view            `json:"views"`
	Events      []*openEvent       `json:"events"`
	Incidents   []*incident        `json:"incidents"`
	Transitions []model.Transition `json:"transitions,omitempty"`
}

// Snapshot serialises everything needed to resume after a restart: vantage health, every
// view's streaks, region states, open events with their update counters and incidents, and
// undrained transitions. The output is deterministic for a given state.
func (e *Engine) Snapshot() ([]byte, error) {
	s := snapshot{Version: snapshotVersion, Incidents: e.incidents, Transitions: e.transitions}
	for _, v := range e.vantages {
		s.Vantages = append(s.Vantages, v)
	}
	slices.SortFunc(s.Vantages, func(a, b *vantage) int { return cmp.Compare(a.ID, b.ID) })
	e.sortRegions()
	s.Regions = e.regionList
	for _, vw := range e.views {
		s.Views = append(s.Views, vw)
	}
	slices.SortFunc(s.Views, func(a, b *view) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Vantage, b.Vantage))
	})
	for _, oe := range e.open {
		s.Events = append(s.Events, oe)
	}
	slices.SortFunc(s.Events, func(a, b *openEvent) int { return cmp.Compare(a.Event.ID, b.Event.ID) })
	return json.Marshal(s)
}

// Restore replaces the engine's state with a Snapshot's. On error the engine is unchanged.
// Open events are restored as they were: nothing is re-emitted, and their next update
// continues their Seq.
func (e *Engine) Restore(b []byte) error {
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("detect: restore: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("detect: restore: snapshot version %d, want %d", s.Version, snapshotVersion)
	}
	n := New(e.o)
	keep := e.o.Keep
	for _, v := range s.Vantages {
		if v == nil || n.vantages[v.ID] != nil {
			return fmt.Errorf("detect: restore: bad or duplicate vantage")
		}
		if keep.vantage(v.ID) {
			n.vantages[v.ID] = v
		}
	}
	for _, rg := range s.Regions {
		if rg == nil || n.regions[rkey{rg.Provider, rg.Model, rg.Region}] != nil {
			return fmt.Errorf("detect: restore: bad or duplicate region")
		}
		if !keep.target(rg.Provider, rg.Model) {
			continue
		}
		k := tkey{rg.Provider, rg.Model}
		if n.targets[k] == nil {
			n.targets[k] = &target{provider: rg.Provider, model: rg.Model}
		}
		rg.target = n.targets[k]
		// As region evaluation keeps it (and for snapshots from before seen_available): a region
		// decided available or revoked saw the model.
		rg.SeenAvailable = rg.SeenAvailable || rg.Decided && (rg.State == model.StateAvailable || rg.State == model.StateRevoked)
		n.addRegion(rg)
	}
	for _, vw := range s.Views {
		if vw != nil && (!keep.target(vw.Provider, vw.Model) || !keep.vantage(vw.Vantage)) {
			continue
		}
		if err := n.restoreView(vw); err != nil {
			return err
		}
	}
	for _, oe := range s.Events {
		if oe != nil && (!keep.target(oe.Event.Provider, oe.Event.Model) ||
			oe.Event.Vantage != "" && !keep.vantage(oe.Event.Vantage)) {
			continue // an open event of what is no longer watched is not resumed
		}
		if err := n.restoreEvent(oe); err != nil {
			return err
		}
	}
	n.incidents, n.transitions = s.Incidents, s.Transitions
	if keep != nil {
		n.transitions = slices.DeleteFunc(n.transitions, func(tr model.Transition) bool {
			return !keep.target(tr.Provider, tr.Model) || tr.Vantage != "" && !keep.vantage(tr.Vantage)
		})
		// Incidents count only the events that came back.
		open := map[string]int{}
		for _, oe := range n.open {
			open[oe.Event.IncidentID]++
		}
		n.incidents = slices.DeleteFunc(n.incidents, func(in *incident) bool {
			if in == nil {
				return true
			}
			dropped := in.Open > 0 && open[in.ID] == 0 // all its open events were dropped
			in.Open = min(in.Open, open[in.ID])
			return dropped
		})
	}
	// A round may have been waiting to be judged when the snapshot was taken: judge every
	// target once a round after the restore (nothing is emitted where nothing changed).
	for _, t := range n.targets {
		n.regionMoved(t, time.Time{}, nil)
	}
	*e = *n
	return nil
}

func (n *Engine) restoreView(vw *view) error {
	if vw == nil {
		return fmt.Errorf("detect: restore: null view")
	}
	v := n.vantages[vw.Vantage]
	k := vkey{vw.Provider, vw.Model, vw.Vantage}
	if v == nil || n.views[k] != nil {
		return fmt.Errorf("detect: restore: view %s/%s@%s: unknown vantage or duplicate", vw.Provider, vw.Model, vw.Vantage)
	}
	vw.Lanes = slices.DeleteFunc(vw.Lanes, func(l *lane) bool { return l == nil })
	vw.vantage, vw.Region = v, v.Region
	vw.region = n.regionFor(vw.Provider, vw.Model, v.Region)
	vw.region.members = append(vw.region.members, vw)
	v.views = append(v.views, vw)
	n.views[k] = vw
	vw.derive()
	return nil
}

func (n *Engine) restoreEvent(oe *openEvent) error {
	if oe == nil || oe.Event.ID == "" || n.open[oe.Event.ID] != nil || oe.Event.EndedAt != nil {
		return fmt.Errorf("detect: restore: bad, closed or duplicate event")
	}
	// Snapshots from before kinds were fixed may carry a kind that moved with the scope: an
	// event is of the kind it opened as.
	if oe.Event.Condition != "" {
		oe.Event.Kind = oe.Event.Condition
	}
	oe.Event.Condition = oe.Event.Kind
	if oe.Group == groupDeprecation {
		return n.restoreRetirement(oe)
	}
	if oe.Group == groupVantage {
		v := n.vantages[oe.Event.Vantage]
		if v == nil || v.event != nil {
			return fmt.Errorf("detect: restore: vantage event %s: unknown vantage or duplicate", oe.Event.ID)
		}
		v.event = oe
	} else {
		g := slices.Index(groupNames[:], oe.Group)
		t := n.targets[tkey{oe.Event.Provider, oe.Event.Model}]
		if g < 0 || t == nil || t.events[g] != nil {
			return fmt.Errorf("detect: restore: event %s: unknown group or target, or duplicate", oe.Event.ID)
		}
		t.events[g] = oe
	}
	n.open[oe.Event.ID] = oe
	return nil
}
