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
	pending         bool // events to judge at the end of a batch, as of pendingAt
	pendingAt       time.Time

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

var stateOrder = [...]model.State{model.StateAvailable, model.StateDegraded, model.StateDown, model.StateRevoked, model.StateUnknown}

func stateIndex(s model.State) int {
	for i, x := range stateOrder {
		if x == s {
			return i
		}
	}
	return len(stateOrder) - 1
}

// majority returns the state a strict majority of n confirmed views agree on. When no single
// state has one but down and degraded together do, the region is failing: the more common of
// the two wins (down on a tie) and fault reports that views in either state agree.
func majority(cnt *[len(stateOrder)]int, n int) (s model.State, fault, ok bool) {
	if n == 0 {
		return "", false, false
	}
	for i, c := range cnt {
		if 2*c > n {
			return stateOrder[i], false, true
		}
	}
	d, w := cnt[stateIndex(model.StateDegraded)], cnt[stateIndex(model.StateDown)]
	if 2*(d+w) > n {
		if w >= d {
			return model.StateDown, true, true
		}
		return model.StateDegraded, true, true
	}
	return "", false, false
}

func agrees(vw *view, s model.State, fault bool) bool {
	return vw.vantage.counts() && vw.decided && (vw.state == s || fault && isFault(vw.state))
}

// evalRegion recomputes rg from the confirmed views of its healthy vantages. It costs
// O(members) and allocates nothing unless the state moves.
func (e *Engine) evalRegion(rg *region, out *[]model.EventUpdate) {
	var cnt [len(stateOrder)]int
	var n, healthy int
	var last time.Time
	for _, vw := range rg.members {
		if !vw.vantage.counts() {
			continue
		}
		healthy++
		last = laterOf(last, vw.lastChecked)
		if vw.decided {
			n++
			cnt[stateIndex(vw.state)]++
		}
	}
	rg.LastChecked = laterOf(rg.LastChecked, last)
	next, fault, ok := majority(&cnt, n)
	if !ok {
		// Keep the state: no vantage may speak, or they disagree (one of two failing).
		switch {
		case healthy == 0:
			rg.Reason = ReasonNoHealthyVantage
		case n == 0:
			rg.Reason = ReasonAwaiting
		default:
			rg.Reason = ReasonDisagree
		}
		rg.Vantages = 0
		return
	}
	agreeing, sig, misconf, reason, sample := 0, "", false, "", ""
	var sigN int
	var sigAt time.Time
	for _, vw := range rg.members {
		if !agrees(vw, next, fault) {
			continue
		}
		agreeing++
		if c := countSig(rg.members, vw.signature, next, fault); c > sigN || c == sigN && vw.lastChecked.After(sigAt) {
			sig, sigN, sigAt = vw.signature, c, vw.lastChecked
		}
		if reason == "" || vw.misconf && !misconf {
			reason, misconf = vw.reason, vw.misconf
		}
		if sample == "" {
			sample = vw.sample
		}
	}
	rg.Vantages, rg.Signature, rg.Reason = agreeing, sig, reason
	if rg.Decided && next == rg.State && misconf == rg.Misconf {
		return
	}
	from := rg.State
	rg.Since = laterOf(rg.Since, majoritySince(rg.members, next, fault, n))
	rg.Decided, rg.State, rg.Misconf, rg.Sample = true, next, misconf, sample
	rg.SeenAvailable = rg.SeenAvailable || next == model.StateAvailable || next == model.StateRevoked
	rg.Evidence = rg.Evidence[:0]
	for _, vw := range rg.members {
		if agrees(vw, next, fault) {
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

func countSig(members []*view, sig string, s model.State, fault bool) int {
	c := 0
	for _, vw := range members {
		if vw.signature == sig && agrees(vw, s, fault) {
			c++
		}
	}
	return c
}

// majoritySince is when a majority of the n views first pointed to the state: the k-th
// earliest Since among the agreeing views, k being the size of a strict majority.
func majoritySince(members []*view, s model.State, fault bool, n int) time.Time {
	var buf [8]time.Time
	sinces := buf[:0]
	for _, vw := range members {
		if agrees(vw, s, fault) {
			sinces = append(sinces, vw.since)
		}
	}
	slices.SortFunc(sinces, func(a, b time.Time) int { return a.Compare(b) })
	k := min(n/2+1, len(sinces))
	return sinces[k-1]
}
