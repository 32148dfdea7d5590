package detect

import (
	"fmt"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// groupDeprecation is the group of deprecation events: an early warning, never a revocation.
const groupDeprecation = "deprecation"

// retirement is what one region's models lists say of a model's retirement. Exported
// fields are its snapshot.
type retirement struct {
	At          time.Time `json:"at"`                    // the vendor's published date
	Replacement string    `json:"replacement,omitempty"` // the model it names instead
	Seen        time.Time `json:"seen"`                  // the first result that showed the date
	Evidence    string    `json:"evidence,omitempty"`    // that result's id
	// Clear counts consecutive lists read without the date; at RecoverAfter the region no
	// longer announces it (Cleared), and Gone says whether that is because the model is
	// gone (model_unavailable) rather than the date lifted.
	Clear   int  `json:"clear,omitempty"`
	Cleared bool `json:"cleared,omitempty"`
	Gone    bool `json:"gone,omitempty"`
}

// observeRetirement reads the retirement date a models result of a healthy vantage carries
// into its region, and judges the deprecation event when the region's picture changed.
// Only a list that was read can lift a date: the model listed without one (available), or
// the vendor saying it is gone (model_unavailable); a failing list says nothing of it.
func (e *Engine) observeRetirement(v *vantage, rg *region, r *model.Result, out *[]model.EventUpdate) {
	if r.Check != model.CheckModels || !v.counts() {
		return
	}
	rt := rg.Retire
	changed := false
	switch {
	case r.RetiresAt != nil:
		if rt == nil || rt.Cleared {
			rt = &retirement{Seen: evidenceTime(r), Evidence: r.ID}
			rg.Retire, changed = rt, true
		}
		if !rt.At.Equal(*r.RetiresAt) || rt.Replacement != r.Replacement {
			rt.At, rt.Replacement, changed = r.RetiresAt.UTC(), r.Replacement, true
		}
		rt.Clear = 0
	case rt == nil || rt.Cleared:
	case r.Access == model.AccessAvailable || r.Class == model.ClassModelUnavailable:
		rt.Clear++
		if rt.Clear >= e.o.RecoverAfter {
			rt.Cleared, rt.Gone, changed = true, r.Class == model.ClassModelUnavailable, true
		}
	}
	if changed {
		e.regionMoved(rg.target, evidenceTime(r), out)
	}
}

// evalRetirement opens, updates or closes t's deprecation event: its regions are those whose
// lists announce a retirement date; the date is the earliest announced.
func (e *Engine) evalRetirement(t *target, at time.Time, out *[]model.EventUpdate) {
	// Scope is judged against every region with data: a date is read from one list, so no
	// confirmed state is needed to compare with.
	var members []*region
	for _, rg := range t.regions {
		if rg.Retire != nil && !rg.Retire.Cleared {
			members = append(members, rg)
		}
	}
	known := len(t.regions)
	oe := t.retire
	switch {
	case len(members) == 0 && oe != nil:
		e.closeRetirement(t, at, out)
	case len(members) == 0:
		forgetCleared(t)
	case oe == nil:
		e.openRetirement(t, members, known, out)
	default:
		e.updateRetirement(oe, members, known, at, out)
	}
}

// retirementOf is the announcement members make: the earliest date, its replacement, the
// first sighting and the evidence.
func retirementOf(members []*region) (date time.Time, replacement string, seen time.Time, evidence []string) {
	for i, rg := range members {
		rt := rg.Retire
		if i == 0 || rt.At.Before(date) {
			date, replacement = rt.At, rt.Replacement
		}
		if i == 0 || rt.Seen.Before(seen) {
			seen = rt.Seen
		}
		if rt.Evidence != "" {
			evidence = append(evidence, rt.Evidence)
		}
	}
	return date, replacement, seen, evidence
}

func retirementText(date time.Time, replacement string) (signature, reason string) {
	day := date.Format(time.DateOnly)
	reason = "the vendor announces the model's retirement on " + day
	if date.Hour() != 0 || date.Minute() != 0 {
		reason += date.Format(" 15:04 UTC")
	}
	if replacement != "" {
		reason += fmt.Sprintf("; replacement: %s", replacement)
	}
	return "deprecation:retires " + day, reason
}

func deprecationScope(members, known int) string {
	if members >= known {
		return model.ScopeGlobal
	}
	return model.ScopeRegional
}

func (e *Engine) openRetirement(t *target, members []*region, known int, out *[]model.EventUpdate) {
	date, repl, seen, evidence := retirementOf(members)
	sig, reason := retirementText(date, repl)
	scope, names := deprecationScope(len(members), known), regionNames(members)
	ev := model.Event{Kind: model.EventDeprecation, Condition: model.EventDeprecation, Scope: scope,
		Provider: t.provider, Model: t.model, Regions: names, StartedAt: seen, UpdatedAt: e.o.Now(),
		Signature: sig, Reason: reason, RetiresAt: &date,
		Changes: []model.EventChange{{At: seen, Kind: model.EventDeprecation, Scope: scope, Regions: slices.Clone(names)}}}
	for _, id := range evidence {
		ev.Evidence = appendBounded(ev.Evidence, id, e.o.MaxEvidence)
	}
	oe := &openEvent{Event: ev, Group: groupDeprecation, Widest: slices.Clone(names), WasGlobal: scope == model.ScopeGlobal}
	t.retire = oe
	e.start(oe, out)
}

// updateRetirement emits PhaseUpdated when the announcing regions, the scope or the date
// (or its replacement) change: a vendor that moves the date is news.
func (e *Engine) updateRetirement(oe *openEvent, members []*region, known int, at time.Time, out *[]model.EventUpdate) {
	ev := &oe.Event
	date, repl, _, evidence := retirementOf(members)
	sig, reason := retirementText(date, repl)
	scope, names := deprecationScope(len(members), known), regionNames(members)
	if ev.Scope == model.ScopeGlobal {
		scope = model.ScopeGlobal // scopes only widen while open
	}
	if slices.Equal(names, ev.Regions) && scope == ev.Scope && sig == ev.Signature && reason == ev.Reason &&
		ev.RetiresAt != nil && ev.RetiresAt.Equal(date) {
		return
	}
	for _, id := range evidence {
		if !slices.Contains(ev.Evidence, id) {
			ev.Evidence = appendBounded(ev.Evidence, id, e.o.MaxEvidence)
		}
	}
	for _, n := range names {
		if !slices.Contains(oe.Widest, n) {
			oe.Widest = append(oe.Widest, n)
		}
	}
	slices.Sort(oe.Widest)
	oe.WasGlobal = oe.WasGlobal || scope == model.ScopeGlobal
	ev.Scope, ev.Regions, ev.Signature, ev.Reason, ev.RetiresAt, ev.UpdatedAt = scope, names, sig, reason, &date, e.o.Now()
	if len(ev.Changes) >= maxChanges {
		ev.Changes = slices.Delete(ev.Changes, 1, 2)
	}
	ev.Changes = append(ev.Changes, model.EventChange{At: laterOf(at, ev.StartedAt), Kind: ev.Kind, Scope: scope, Regions: slices.Clone(names)})
	oe.Seq++
	e.emit(oe, model.PhaseUpdated, out)
}

// closeRetirement ends t's deprecation event: retired when a region stopped announcing it
// because the vendor says the model is gone, recovered when the date was lifted.
func (e *Engine) closeRetirement(t *target, at time.Time, out *[]model.EventUpdate) {
	oe := t.retire
	t.retire = nil
	outcome := model.EventRecovered
	for _, rg := range t.regions {
		if rg.Retire != nil && rg.Retire.Gone && slices.Contains(oe.Widest, rg.Region) {
			outcome = model.EventRetired
		}
	}
	forgetCleared(t)
	oe.Event.Regions = slices.Clone(oe.Widest)
	if oe.WasGlobal {
		oe.Event.Scope = model.ScopeGlobal
	}
	e.finish(oe, outcome, at, out)
}

func forgetCleared(t *target) {
	for _, rg := range t.regions {
		if rg.Retire != nil && rg.Retire.Cleared {
			rg.Retire = nil
		}
	}
}

// restoreRetirement puts a restored deprecation event back on its target.
func (n *Engine) restoreRetirement(oe *openEvent) error {
	t := n.targets[tkey{oe.Event.Provider, oe.Event.Model}]
	if t == nil || t.retire != nil {
		return fmt.Errorf("detect: restore: deprecation event %s: unknown target or duplicate", oe.Event.ID)
	}
	t.retire = oe
	n.open[oe.Event.ID] = oe
	return nil
}
