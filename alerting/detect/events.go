package detect

import (
	"cmp"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Condition groups: one open event at most per (provider, model, group).
const (
	gRevoked = iota
	gFault
	gMisconf
	nGroups
)

var groupNames = [nGroups]string{"revoked", "fault", "misconfigured"}

const groupVantage = "vantage_fault"

// openEvent is an open event with what detection needs to continue it. Exported fields are
// its snapshot.
type openEvent struct {
	Event     model.Event `json:"event"`
	Group     string      `json:"group"`
	Seq       int         `json:"seq"`
	Reminded  time.Time   `json:"reminded"`
	Widest    []string    `json:"widest"` // every region it has covered
	WasGlobal bool        `json:"was_global,omitempty"`
}

// incident groups the events of one provider and condition group that start close together.
type incident struct {
	ID       string    `json:"id"`
	Provider string    `json:"provider"`
	Group    string    `json:"group"`
	First    time.Time `json:"first"` // StartedAt of its first event
	Open     int       `json:"open"`  // its events still open
}

// inCondition reports whether rg belongs to group g's event. A region stays in a revoked or
// fault event until it is seen available again: an expired key, a dead vantage or timeouts
// after a geo block are not a restoration, so "restored" is only said when the model answers.
func inCondition(g int, rg *region, member bool) bool {
	if !rg.Decided {
		return member
	}
	switch g {
	case gRevoked:
		return rg.State == model.StateRevoked || member && rg.State != model.StateAvailable
	case gFault:
		return isFault(rg.State) || member && rg.State != model.StateAvailable
	default:
		return rg.State == model.StateUnknown && rg.Misconf
	}
}

// evalEvents opens, updates or closes t's events after one of its regions changed at `at`.
func (e *Engine) evalEvents(t *target, at time.Time, out *[]model.EventUpdate) {
	for g := range nGroups {
		oe := t.events[g]
		var members []*region
		known := 0
		for _, rg := range t.regions {
			in := inCondition(g, rg, oe != nil && slices.Contains(oe.Event.Regions, rg.Region))
			if in {
				members = append(members, rg)
			}
			if in || rg.Decided && rg.State != model.StateUnknown {
				known++
			}
		}
		switch {
		case len(members) == 0 && oe != nil:
			e.closeEvent(t, g, at, out)
		case len(members) == 0:
		case oe == nil:
			e.openEvent(t, g, members, known, out)
		default:
			e.updateEvent(oe, g, members, known, at, out)
		}
	}
	e.evalRetirement(t, at, out) // after a revocation it may have turned into
}

// openingKind is the kind and scope of a group-g event opening over members of the known
// regions: global when every region with a known state is in it. A fault is an outage when it
// opens global, whatever mix of down and degraded its regions show (a 529 everywhere is an
// outage), else degraded. The kind never changes afterwards (see widenScope).
func openingKind(g int, members, known int) (kind, scope string) {
	scope = widenScope(g, "", members, known)
	switch g {
	case gRevoked:
		return model.EventRevoked, scope
	case gFault:
		if scope == model.ScopeGlobal {
			return model.EventOutage, scope
		}
		return model.EventDegraded, scope
	}
	return model.EventMisconfigured, scope
}

// widenScope is an event's scope after a judgement: global once it has covered every region
// with a known state, and it stays so while regions recover (its regions say where it still
// is); a misconfiguration is global from the start.
func widenScope(g int, was string, members, known int) string {
	if was == model.ScopeGlobal || members >= known || g == gMisconf {
		return model.ScopeGlobal
	}
	return model.ScopeRegional
}

func regionNames(rs []*region) []string {
	out := make([]string, len(rs))
	for i, rg := range rs {
		out[i] = rg.Region
	}
	return out
}

// commonSignature is the signature most of rs show (the first such on a tie).
func commonSignature(rs []*region) string {
	best, bestN := "", 0
	for _, a := range rs {
		n := 0
		for _, b := range rs {
			if b.Signature == a.Signature {
				n++
			}
		}
		if n > bestN {
			best, bestN = a.Signature, n
		}
	}
	return best
}

func (e *Engine) openEvent(t *target, g int, members []*region, known int, out *[]model.EventUpdate) {
	kind, scope := openingKind(g, len(members), known)
	start := members[0].Since
	for _, rg := range members {
		if rg.Since.Before(start) {
			start = rg.Since
		}
	}
	names := regionNames(members)
	ev := model.Event{Kind: kind, Condition: kind, Scope: scope, Provider: t.provider, Model: t.model,
		Regions: names, StartedAt: start, UpdatedAt: e.o.Now(), Signature: commonSignature(members),
		Changes: []model.EventChange{{At: start, Kind: kind, Scope: scope, Regions: slices.Clone(names)}}}
	for _, rg := range members {
		ev.Sample = cmp.Or(ev.Sample, rg.Sample)
		if g == gMisconf {
			ev.Reason = cmp.Or(ev.Reason, rg.Reason)
		}
		for _, id := range rg.Evidence {
			ev.Evidence = appendBounded(ev.Evidence, id, e.o.MaxEvidence)
		}
	}
	oe := &openEvent{Event: ev, Group: groupNames[g], Widest: slices.Clone(names), WasGlobal: scope == model.ScopeGlobal}
	t.events[g] = oe
	e.start(oe, out)
}

// start gives oe its id and incident, registers it and emits PhaseOpened.
func (e *Engine) start(oe *openEvent, out *[]model.EventUpdate) {
	oe.Event.ID = e.o.NewID(oe.Event.StartedAt)
	oe.Event.IncidentID = e.joinIncident(oe)
	oe.Seq, oe.Reminded = 1, e.o.Now()
	e.open[oe.Event.ID] = oe
	e.emit(oe, model.PhaseOpened, out)
}

func (e *Engine) emit(oe *openEvent, phase string, out *[]model.EventUpdate) {
	*out = append(*out, model.EventUpdate{Phase: phase, Event: cloneEvent(oe.Event), Seq: oe.Seq})
}

func (e *Engine) updateEvent(oe *openEvent, g int, members []*region, known int, at time.Time, out *[]model.EventUpdate) {
	ev := &oe.Event
	kind, scope := ev.Kind, widenScope(g, ev.Scope, len(members), known)
	names := regionNames(members)
	ev.Signature = commonSignature(members)
	for _, rg := range members {
		ev.Sample = cmp.Or(ev.Sample, rg.Sample)
	}
	if slices.Equal(names, ev.Regions) && kind == ev.Kind && scope == ev.Scope {
		return
	}
	for _, rg := range members {
		if !slices.Contains(ev.Regions, rg.Region) {
			for _, id := range rg.Evidence {
				ev.Evidence = appendBounded(ev.Evidence, id, e.o.MaxEvidence)
			}
		}
		if !slices.Contains(oe.Widest, rg.Region) {
			oe.Widest = append(oe.Widest, rg.Region)
		}
	}
	slices.Sort(oe.Widest)
	oe.WasGlobal = oe.WasGlobal || scope == model.ScopeGlobal
	ev.Scope, ev.Regions, ev.UpdatedAt = scope, names, e.o.Now()
	ch := model.EventChange{At: laterOf(at, ev.StartedAt), Kind: kind, Scope: scope, Regions: slices.Clone(names)}
	if len(ev.Changes) >= maxChanges {
		ev.Changes = slices.Delete(ev.Changes, 1, 2)
	}
	ev.Changes = append(ev.Changes, ch)
	oe.Seq++
	e.emit(oe, model.PhaseUpdated, out)
}

// closeEvent ends t's group-g event: when the last of its regions left it (the Since of the
// state each is in now; at when none has one). Once ended, Regions and Scope describe the
// event at its widest; its kind is unchanged and Outcome says how it ended.
func (e *Engine) closeEvent(t *target, g int, at time.Time, out *[]model.EventUpdate) {
	oe := t.events[g]
	t.events[g] = nil
	outcome := model.EventRecovered
	if g == gRevoked {
		outcome = model.EventRestored
	}
	var end time.Time
	for _, rg := range t.regions {
		if slices.Contains(oe.Event.Regions, rg.Region) && rg.Decided {
			end = laterOf(end, rg.Since)
		}
	}
	if end.IsZero() {
		end = at
	}
	oe.Event.Regions = slices.Clone(oe.Widest)
	if oe.WasGlobal {
		oe.Event.Scope = model.ScopeGlobal
	}
	e.finish(oe, outcome, end, out)
}

// finish closes oe with outcome, ending no earlier than it started, and emits PhaseClosed.
// The event keeps its kind.
func (e *Engine) finish(oe *openEvent, outcome string, at time.Time, out *[]model.EventUpdate) {
	end := laterOf(at, oe.Event.StartedAt)
	oe.Event.EndedAt = &end
	oe.Event.Outcome, oe.Event.UpdatedAt = outcome, e.o.Now()
	oe.Seq++
	delete(e.open, oe.Event.ID)
	e.leaveIncident(oe.Event.IncidentID)
	e.emit(oe, model.PhaseClosed, out)
}

func (e *Engine) openVantageEvent(v *vantage, since time.Time, sig string, out *[]model.EventUpdate) {
	if v.event != nil {
		return
	}
	ev := model.Event{Kind: model.EventVantageFault, Condition: model.EventVantageFault, Scope: model.ScopeVantage,
		Vantage: v.ID, Regions: []string{v.Region}, StartedAt: since, UpdatedAt: e.o.Now(),
		Signature: sig, Reason: v.Reason, Evidence: slices.Clone(v.FailIDs)}
	v.event = &openEvent{Event: ev, Group: groupVantage, Widest: []string{v.Region}}
	e.start(v.event, out)
}

func (e *Engine) closeVantageEvent(v *vantage, at time.Time, out *[]model.EventUpdate) {
	if v.event == nil {
		return
	}
	oe := v.event
	v.event = nil
	e.finish(oe, model.EventRecovered, at, out)
}

// joinIncident returns the id of the open incident of oe's provider and group whose first
// event started within the window of oe, or starts a new incident named after oe.
func (e *Engine) joinIncident(oe *openEvent) string {
	ev := &oe.Event
	if e.o.IncidentWindow > 0 {
		var best *incident
		for _, in := range e.incidents {
			d := ev.StartedAt.Sub(in.First)
			if in.Provider == ev.Provider && in.Group == oe.Group && in.Open > 0 &&
				d <= e.o.IncidentWindow && d >= -e.o.IncidentWindow && (best == nil || in.First.After(best.First)) {
				best = in
			}
		}
		if best != nil {
			best.Open++
			return best.ID
		}
	}
	e.incidents = append(e.incidents, &incident{ID: ev.ID, Provider: ev.Provider, Group: oe.Group, First: ev.StartedAt, Open: 1})
	return ev.ID
}

func (e *Engine) leaveIncident(id string) {
	for i, in := range e.incidents {
		if in.ID == id {
			if in.Open--; in.Open <= 0 {
				e.incidents = slices.Delete(e.incidents, i, i+1)
			}
			return
		}
	}
}

// Reminders returns a PhaseReminder for every open revoked or outage event not announced
// (opened or reminded) for `every`, and records now as its last reminder.
func (e *Engine) Reminders(every time.Duration) []model.EventUpdate {
	if every <= 0 {
		return nil
	}
	now := e.o.Now()
	var due []*openEvent
	for _, oe := range e.open {
		k := oe.Event.Kind
		if (k == model.EventRevoked || k == model.EventOutage) && now.Sub(oe.Reminded) >= every {
			due = append(due, oe)
		}
	}
	slices.SortFunc(due, func(a, b *openEvent) int {
		return cmp.Or(a.Event.StartedAt.Compare(b.Event.StartedAt), cmp.Compare(a.Event.ID, b.Event.ID))
	})
	var out []model.EventUpdate
	for _, oe := range due {
		oe.Reminded = now
		oe.Seq++
		e.emit(oe, model.PhaseReminder, &out)
	}
	return out
}

// cloneEvent deep-copies ev so that callers never share the engine's slices.
func cloneEvent(ev model.Event) model.Event {
	ev.Regions = slices.Clone(ev.Regions)
	ev.Evidence = slices.Clone(ev.Evidence)
	if ev.EndedAt != nil {
		end := *ev.EndedAt
		ev.EndedAt = &end
	}
	ch := make([]model.EventChange, len(ev.Changes))
	for i, c := range ev.Changes {
		c.Regions = slices.Clone(c.Regions)
		ch[i] = c
	}
	ev.Changes = ch
	if len(ch) == 0 {
		ev.Changes = nil
	}
	return ev
}
