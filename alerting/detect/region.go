package detect

import (
	"cmp"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// region is the state of one (provider, model, region). Exported fields are its snapshot.
type region struct {
	Provider    string      `json:"provider"`
	Model       string      `json:"model"`
	Region      string      `json:"region"`
	Decided     bool        `json:"decided,omitempty"`
	State       model.State `json:"state"`
	Misconf     bool        `json:"misconf,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	Since       time.Time   `json:"since,omitzero"`
	LastChecked time.Time   `json:"last_checked,omitzero"`
	Signature   string      `json:"signature,omitempty"`
	Vantages    int         `json:"vantages,omitempty"`
	Sample      string      `json:"sample,omitempty"`
	Evidence    []string    `json:"evidence,omitempty"`
	Retire      *retirement `json:"retire,omitempty"` // a retirement date its lists announce (retire.go)
	// SeenAvailable: some vantage of the region saw the model available once. A model never
	// seen available anywhere cannot have been withdrawn (see observeView).
	SeenAvailable bool `json:"seen_available,omitempty"`

	members []*view
	target  *target
	dirty   bool // awaiting evaluation at the end of a batch
}

// target is one (provider, model): its regions, sorted by name, and its open events.
type target struct {
	provider, model string
	regions         []*region
	events          [nGroups]*openEvent
	pending         bool      // events to judge when the round settles (at due), as of pendingAt
	pendingAt       time.Time // the latest region change of the round (evidence time)
	due             time.Time // Now clock

	retire *openEvent // the open deprecation event (retire.go)
}

// seenAvailable reports whether any region saw the model available once.
func (t *target) seenAvailable() bool {
	for _, rg := range t.regions {
		if rg.SeenAvailable {
			return true
		}
	}
	return false
}

func (rg *region) status() model.TargetStatus {
	return model.TargetStatus{Provider: rg.Provider, Model: rg.Model, Region: rg.Region, State: rg.State,
		Since: rg.Since, Signature: rg.Signature, LastChecked: rg.LastChecked, Reason: rg.Reason, Vantages: rg.Vantages}
}

func (e *Engine) regionFor(provider, mdl, name string) *region {
	k := rkey{provider, mdl, name}
	if rg := e.regions[k]; rg != nil {
		return rg
	}
	t := e.targets[tkey{provider, mdl}]
	if t == nil {
		t = &target{provider: provider, model: mdl}
		e.targets[tkey{provider, mdl}] = t
	}
	rg := &region{Provider: provider, Model: mdl, Region: name, State: model.StateUnknown, Reason: ReasonAwaiting, target: t}
	e.addRegion(rg)
	return rg
}

func (e *Engine) addRegion(rg *region) {
	t := rg.target
	i, _ := slices.BinarySearchFunc(t.regions, rg.Region, func(a *region, name string) int {
		return cmp.Compare(a.Region, name)
	})
	t.regions = slices.Insert(t.regions, i, rg)
	e.regions[rkey{rg.Provider, rg.Model, rg.Region}] = rg
	e.regionList = append(e.regionList, rg)
	e.sorted = false
}

// rank orders the states a healthy vantage can confirm from best to worst: the region takes
// the best any of them confirms. unknown (misconfigured or unreadable) abstains.
func rank(s model.State) int {
	switch s {
	case model.StateAvailable:
		return 0
	case model.StateDegraded:
		return 1
	case model.StateDown:
		return 2
	case model.StateRevoked:
		return 3
	}
	return 4
}

// bestState is the state rg takes from the confirmed views of its counting vantages: the best
// any of them shows (available > degraded > down > revoked); unknown views abstain unless every
// view is unknown. n is the number of confirmed views, differ whether two of the voting views
// show different states.
func bestState(rg *region) (s model.State, n int, differ bool) {
	best := -1
	for _, vw := range rg.members {
		if !vw.vantage.counts() || !vw.decided {
			continue
		}
		n++
		r := rank(vw.state)
		if r == 4 {
			continue
		}
		switch {
		case best < 0:
			best = r
		case r != best:
			differ = true
			best = min(best, r)
		}
	}
	if n == 0 {
		return "", 0, false
	}
	if best < 0 {
		return model.StateUnknown, n, false
	}
	return [...]model.State{model.StateAvailable, model.StateDegraded, model.StateDown, model.StateRevoked}[best], n, differ
}

func agrees(vw *view, s model.State) bool {
	return vw.vantage.counts() && vw.decided && vw.state == s
}

// evalRegion recomputes rg from the confirmed views of its healthy vantages (see bestState).
// It costs O(members) and allocates nothing unless the state moves.
func (e *Engine) evalRegion(rg *region, out *[]model.EventUpdate) {
	var healthy int
	var last time.Time
	for _, vw := range rg.members {
		if !vw.vantage.counts() {
			continue
		}
		healthy++
		last = laterOf(last, vw.lastChecked)
	}
	rg.LastChecked = laterOf(rg.LastChecked, last)
	next, n, differ := bestState(rg)
	if n == 0 {
		// Keep the state: no vantage may speak, or none has confirmed one yet.
		rg.Reason = ReasonAwaiting
		if healthy == 0 {
			rg.Reason = ReasonNoHealthyVantage
		}
		rg.Vantages = 0
		return
	}
	agreeing, sig, misconf, reason, sample := 0, "", false, "", ""
	var sigN int
	var sigAt time.Time
	for _, vw := range rg.members {
		if !agrees(vw, next) {
			continue
		}
		agreeing++
		if c := countSig(rg.members, vw.signature, next); c > sigN || c == sigN && vw.lastChecked.After(sigAt) {
			sig, sigN, sigAt = vw.signature, c, vw.lastChecked
		}
		if reason == "" || vw.misconf && !misconf {
			reason, misconf = vw.reason, vw.misconf
		}
		if sample == "" {
			sample = vw.sample
		}
	}
	if differ && next != model.StateUnknown {
		reason = ReasonDisagree
	}
	rg.Vantages, rg.Signature, rg.Reason = agreeing, sig, reason
	if rg.Decided && next == rg.State && misconf == rg.Misconf {
		return
	}
	from := rg.State
	rg.Since = laterOf(rg.Since, regionSince(rg.members, next))
	rg.Decided, rg.State, rg.Misconf, rg.Sample = true, next, misconf, sample
	rg.SeenAvailable = rg.SeenAvailable || next == model.StateAvailable || next == model.StateRevoked
	rg.Evidence = rg.Evidence[:0]
	for _, vw := range rg.members {
		if agrees(vw, next) {
			for _, id := range vw.evidence {
				rg.Evidence = appendBounded(rg.Evidence, id, e.o.MaxEvidence)
			}
		}
	}
	if from != next {
		e.addTransition(model.Transition{Provider: rg.Provider, Model: rg.Model, Region: rg.Region,
			From: from, To: next, At: rg.Since, Signature: sig, Evidence: slices.Clone(rg.Evidence)})
	}
	e.regionMoved(rg.target, rg.Since, out)
}

func countSig(members []*view, sig string, s model.State) int {
	c := 0
	for _, vw := range members {
		if vw.signature == sig && agrees(vw, s) {
			c++
		}
	}
	return c
}

// regionSince is when the region entered s. Available: when the first of its vantages saw it
// available again (the best state is reached as soon as one vantage shows it). Any other
// state: when the last voting vantage left a better state, i.e. the latest Since among the
// views that vote (unknown views abstain).
func regionSince(members []*view, s model.State) time.Time {
	var at time.Time
	for _, vw := range members {
		if !vw.vantage.counts() || !vw.decided {
			continue
		}
		switch {
		case s == model.StateAvailable:
			if vw.state == s && (at.IsZero() || vw.since.Before(at)) {
				at = vw.since
			}
		case s == model.StateUnknown || rank(vw.state) < 4:
			at = laterOf(at, vw.since)
		}
	}
	return at
}
