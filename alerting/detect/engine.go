package detect

import (
	"cmp"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Defaults for the zero Options.
const (
	DefaultFailAfter      = 2
	DefaultRecoverAfter   = 2
	DefaultIncidentWindow = 10 * time.Minute
	DefaultMaxEvidence    = 20
	// DefaultSettle is how long events wait for the rest of a round (see Options.Settle).
	DefaultSettle = 2 * time.Second
	// maxTransitions bounds the undrained transition buffer; the oldest are dropped first.
	maxTransitions = 10000
	// maxChanges bounds Event.Changes; the first (opening) entry is always kept.
	maxChanges = 64
)

// Reasons the engine writes into TargetStatus.Reason and VantageHealth.Reason.
const (
	ReasonNoHealthyVantage = "no healthy vantage"
	ReasonAwaiting         = "awaiting confirmation"
	ReasonDisagree         = "vantages disagree"
	ReasonMismatch         = "egress country mismatch"
	ReasonNeverAvailable   = "model never seen available: check the model id and the key's access"
	reasonControlPrefix    = "control failed: "
)

// Options configure an Engine. The zero value of each field means its default.
type Options struct {
	// FailAfter consecutive observations pointing to one failing state move a view to it;
	// RecoverAfter consecutive available ones move it back. They also govern vantage health.
	FailAfter, RecoverAfter int
	// Regions maps a vantage id to its region, used only when a Result carries no Region.
	Regions map[string]string
	// IncidentWindow: an event of a provider and condition that starts within this of the
	// first event of an incident still open joins that incident. Negative: never group.
	IncidentWindow time.Duration
	// MaxEvidence bounds the result ids kept per view, region and event.
	MaxEvidence int
	// Settle is the round: after a region of a (provider, model) moves, its events are judged
	// only once Settle has passed on the Now clock, over every region as it then is, so the
	// regions that one vendor change moves within a round open, widen or recover as one
	// update. It should cover the spread of one round's results on arrival (probing jitter,
	// agents' push interval, answer times). Zero means DefaultSettle; negative judges at once.
	Settle time.Duration
	// Now is the clock for UpdatedAt, reminders and the round (default time.Now). States and
	// events are otherwise dated by the Results' own times.
	Now func() time.Time
	// NewID makes event ids (default model.NewID).
	NewID func(time.Time) string
	// Keep, when set, says which (provider, model) and vantage may hold state: Restore drops
	// the rest of a snapshot (targets of a model no longer watched, or junk a snapshot from
	// before the collector bounded its input still holds), so state is bounded by the config.
	Keep *Keep
}

// Keep is the configured world detection may hold state for.
type Keep struct {
	Target  func(provider, model string) bool
	Vantage func(id string) bool
}

func (k *Keep) target(provider, mdl string) bool {
	return k == nil || k.Target == nil || provider == "" || k.Target(provider, mdl)
}

func (k *Keep) vantage(id string) bool { return k == nil || k.Vantage == nil || k.Vantage(id) }

func (o Options) withDefaults() Options {
	if o.FailAfter <= 0 {
		o.FailAfter = DefaultFailAfter
	}
	if o.RecoverAfter <= 0 {
		o.RecoverAfter = DefaultRecoverAfter
	}
	if o.IncidentWindow == 0 {
		o.IncidentWindow = DefaultIncidentWindow
	}
	if o.MaxEvidence <= 0 {
		o.MaxEvidence = DefaultMaxEvidence
	}
	if o.Settle == 0 {
		o.Settle = DefaultSettle
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = model.NewID
	}
	return o
}

// VantageHealth is whether one vantage's results may move region states.
type VantageHealth struct {
	ID       string    `json:"id"`
	Region   string    `json:"region"`
	Healthy  bool      `json:"healthy"`
	Reason   string    `json:"reason,omitempty"`
	Since    time.Time `json:"since,omitzero"`
	LastSeen time.Time `json:"last_seen"`
}

type tkey struct{ provider, model string }

type rkey struct{ provider, model, region string }

type vkey struct{ provider, model, vantage string }

// Engine is the detection state machine. It is not safe for concurrent use: the caller
// serialises Observe and the accessors (one goroutine, or a mutex around the engine).
type Engine struct {
	o Options

	vantages map[string]*vantage
	views    map[vkey]*view
	regions  map[rkey]*region
	targets  map[tkey]*target

	// regionList holds every region, sorted lazily for Status.
	regionList []*region
	sorted     bool

	open map[string]*openEvent // by event id
	// batching is set inside ObserveBatch: region evaluation waits for the batch's end.
	batching bool
	dirty    []*region
	// pending are the targets whose events wait for their round to settle, by due time.
	pending     []*target
	incidents   []*incident
	transitions []model.Transition
}

// New returns an empty engine.
func New(o Options) *Engine {
	return &Engine{
		o:        o.withDefaults(),
		vantages: map[string]*vantage{},
		views:    map[vkey]*view{},
		regions:  map[rkey]*region{},
		targets:  map[tkey]*target{},
		open:     map[string]*openEvent{},
		sorted:   true,
	}
}

// evidenceTime is when r's evidence was seen: when its answer (or failure) came, else when
// the probe started.
func evidenceTime(r *model.Result) time.Time {
	if !r.EndedAt.IsZero() {
		return r.EndedAt
	}
	return r.Time
}

// Observe feeds one result and returns the event updates it caused (usually none): those of
// every round that has settled by now, judged before r is applied.
func (e *Engine) Observe(r model.Result) []model.EventUpdate {
	out := e.Flush()
	e.observe(r, &out)
	e.judgeNow(&out)
	return out
}

func (e *Engine) observe(r model.Result, out *[]model.EventUpdate) {
	if r.Region == "" {
		r.Region = e.o.Regions[r.Vantage]
	}
	v := e.vantageFor(r.Vantage, r.Region, evidenceTime(&r), out)
	e.observeHealth(v, &r, out)
	if r.VantageMismatch || r.Check == model.CheckControl || r.Check == model.CheckStatusPage {
		return
	}
	e.observeView(v, &r, out)
}

// ObserveBatch feeds results (all that arrived together) and judges regions once at the end,
// so two vantages confirming opposite states in one batch are read together whatever their
// order. Events are judged per round as with Observe.
func (e *Engine) ObserveBatch(rs []model.Result) []model.EventUpdate {
	out := e.Flush()
	e.batching = true
	for _, r := range rs {
		e.observe(r, &out)
	}
	for _, rg := range e.dirty {
		rg.dirty = false
		e.evalRegion(rg, &out)
	}
	e.batching, e.dirty = false, e.dirty[:0]
	e.judgeNow(&out)
	return out
}

// Flush judges the events of every (provider, model) whose round has settled (Settle after
// its first unjudged region change) and returns the updates. The caller runs it every
// fraction of Settle, so that a round is judged on time even when no result follows it.
func (e *Engine) Flush() []model.EventUpdate {
	if len(e.pending) == 0 {
		return nil
	}
	var out []model.EventUpdate
	now := e.o.Now()
	n := 0
	for _, t := range e.pending {
		if t.due.After(now) {
			e.pending[n] = t
			n++
			continue
		}
		t.pending = false
		e.evalEvents(t, t.pendingAt, &out)
	}
	clear(e.pending[n:])
	e.pending = e.pending[:n]
	return out
}

// Pending reports whether some round waits to be judged, and when the earliest is due.
func (e *Engine) Pending() (time.Time, bool) {
	var at time.Time
	for _, t := range e.pending {
		if at.IsZero() || t.due.Before(at) {
			at = t.due
		}
	}
	return at, len(e.pending) > 0
}

// judgeNow judges at once, when Settle is negative, what the last result made pending.
func (e *Engine) judgeNow(out *[]model.EventUpdate) {
	if e.o.Settle >= 0 {
		return
	}
	for _, t := range e.pending {
		t.pending = false
		e.evalEvents(t, t.pendingAt, out)
	}
	clear(e.pending)
	e.pending = e.pending[:0]
}

// touchRegion re-evaluates rg now, or at the end of the batch.
func (e *Engine) touchRegion(rg *region, out *[]model.EventUpdate) {
	if !e.batching {
		e.evalRegion(rg, out)
		return
	}
	if !rg.dirty {
		rg.dirty = true
		e.dirty = append(e.dirty, rg)
	}
}

// regionMoved schedules the judgement of t's events after one of its regions moved at `at`
// (evidence time): at the end of the round, Settle from the first change not judged yet; the
// round is judged as of its latest change (the one that completed the picture).
func (e *Engine) regionMoved(t *target, at time.Time, _ *[]model.EventUpdate) {
	if !t.pending {
		t.pending, t.pendingAt, t.due = true, at, e.o.Now().Add(max(e.o.Settle, 0))
		e.pending = append(e.pending, t)
		return
	}
	t.pendingAt = laterOf(t.pendingAt, at)
}

// Status returns every (provider, model, region)'s state, sorted by provider, model, region.
func (e *Engine) Status() []model.TargetStatus {
	e.sortRegions()
	out := make([]model.TargetStatus, len(e.regionList))
	for i, rg := range e.regionList {
		out[i] = rg.status()
	}
	return out
}

// VantageStatus returns each vantage's view of each (provider, model), then one entry per
// vantage for its own health (Provider and Model empty, State available or down), sorted.
func (e *Engine) VantageStatus() []model.TargetStatus {
	out := make([]model.TargetStatus, 0, len(e.views)+len(e.vantages))
	for _, vw := range e.views {
		out = append(out, vw.status())
	}
	for _, v := range e.vantages {
		st := model.TargetStatus{Region: v.Region, Vantage: v.ID, State: model.StateAvailable,
			Since: v.Since, Signature: v.LastSignature, LastChecked: v.LastSeen, Reason: v.Reason}
		if !v.Healthy {
			st.State = model.StateDown
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b model.TargetStatus) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.Vantage, b.Vantage))
	})
	return out
}

// Vantages returns every vantage's health, sorted by id.
func (e *Engine) Vantages() []VantageHealth {
	out := make([]VantageHealth, 0, len(e.vantages))
	for _, v := range e.vantages {
		out = append(out, VantageHealth{ID: v.ID, Region: v.Region, Healthy: v.Healthy,
			Reason: v.Reason, Since: v.Since, LastSeen: v.LastSeen})
	}
	slices.SortFunc(out, func(a, b VantageHealth) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// OpenEvents returns the events still open, oldest first.
func (e *Engine) OpenEvents() []model.Event {
	out := make([]model.Event, 0, len(e.open))
	for _, oe := range e.open {
		out = append(out, cloneEvent(oe.Event))
	}
	sortEvents(out)
	return out
}

// Transitions returns the region-level state changes since the last call, oldest first, and
// forgets them. At most maxTransitions are kept between calls (the oldest are dropped).
func (e *Engine) Transitions() []model.Transition {
	out := e.transitions
	e.transitions = nil
	return out
}

func (e *Engine) addTransition(t model.Transition) {
	if len(e.transitions) >= maxTransitions { // undrained: drop the oldest half, amortised
		e.transitions = slices.Delete(e.transitions, 0, len(e.transitions)-maxTransitions/2)
	}
	e.transitions = append(e.transitions, t)
}

func (e *Engine) sortRegions() {
	if e.sorted {
		return
	}
	slices.SortFunc(e.regionList, func(a, b *region) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Region, b.Region))
	})
	e.sorted = true
}

func sortEvents(evs []model.Event) {
	slices.SortFunc(evs, func(a, b model.Event) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID))
	})
}

// appendBounded appends id to ids, keeping at most max: past it, the oldest half is kept
// (the results that proved the change) and the newest slot is recycled.
func appendBounded(ids []string, id string, max int) []string {
	if id == "" {
		return ids
	}
	if len(ids) < max {
		return append(ids, id)
	}
	keep := max / 2
	copy(ids[keep:], ids[keep+1:])
	ids[len(ids)-1] = id
	return ids
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
