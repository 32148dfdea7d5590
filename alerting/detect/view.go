package detect

import (
	"cmp"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// lane is the hysteresis of one check kind (models, generate, …) of one (provider, model,
// vantage): a confirmed state and the candidate streak that may replace it. Checks get their
// own lanes so that two checks on different schedules never break each other's streaks.
type lane struct {
	Check       string      `json:"check"`
	Decided     bool        `json:"decided,omitempty"`
	State       model.State `json:"state,omitempty"`
	Misconf     bool        `json:"misconf,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	Since       time.Time   `json:"since,omitzero"`
	LastChecked time.Time   `json:"last_checked,omitzero"`
	Signature   string      `json:"signature,omitempty"`
	Sample      string      `json:"sample,omitempty"`
	Evidence    []string    `json:"evidence,omitempty"`

	Cand          model.State `json:"cand,omitempty"`
	CandN         int         `json:"cand_n,omitempty"`
	CandMisconf   bool        `json:"cand_misconf,omitempty"`
	CandReason    string      `json:"cand_reason,omitempty"`
	CandSince     time.Time   `json:"cand_since,omitzero"`
	CandSignature string      `json:"cand_signature,omitempty"`
	CandSample    string      `json:"cand_sample,omitempty"`
	CandEvidence  []string    `json:"cand_evidence,omitempty"`
}

func isFault(s model.State) bool { return s == model.StateDown || s == model.StateDegraded }

// sameStreak: down and degraded continue one streak (a vendor alternating 503s and timeouts
// is failing), which moves to the state of its latest observation.
func sameStreak(a, b model.State) bool { return a == b || isFault(a) && isFault(b) }

// observe applies one result; it reports whether the confirmed state moved.
func (l *lane) observe(r *model.Result, o *Options) bool {
	s := model.StateOf(r.Classification)
	misconf := s == model.StateUnknown && r.Access == model.AccessMisconfigured
	reason := ""
	if s == model.StateUnknown {
		reason = cmp.Or(string(r.Class), "unclassified")
		if misconf && r.Class == model.ClassModelUnavailable {
			reason = ReasonNeverAvailable
		}
	}
	at := evidenceTime(r)
	l.LastChecked = at
	if l.Decided && s == l.State && misconf == l.Misconf {
		l.Cand, l.CandN, l.CandEvidence = "", 0, l.CandEvidence[:0]
		l.Signature, l.Reason = r.Signature, reason
		l.Evidence = appendBounded(l.Evidence, r.ID, o.MaxEvidence)
		if l.Sample == "" && s != model.StateAvailable {
			l.Sample = r.Excerpt
		}
		return false
	}
	if l.CandN > 0 && sameStreak(l.Cand, s) && misconf == l.CandMisconf {
		l.CandN++
	} else {
		l.CandN, l.CandSince, l.CandEvidence, l.CandSample = 1, at, l.CandEvidence[:0], ""
	}
	l.Cand, l.CandMisconf, l.CandReason, l.CandSignature = s, misconf, reason, r.Signature
	l.CandEvidence = appendBounded(l.CandEvidence, r.ID, o.MaxEvidence)
	if l.CandSample == "" && s != model.StateAvailable {
		l.CandSample = r.Excerpt
	}
	need := o.FailAfter
	if s == model.StateAvailable {
		need = o.RecoverAfter
	}
	if l.CandN < need {
		return false
	}
	l.Decided, l.State, l.Misconf, l.Reason = true, s, misconf, reason
	l.Since, l.Signature, l.Sample = l.CandSince, l.CandSignature, l.CandSample
	l.Evidence = append(l.Evidence[:0], l.CandEvidence...)
	l.Cand, l.CandN, l.CandEvidence, l.CandSample = "", 0, l.CandEvidence[:0], ""
	return true
}

// view is one vantage's view of one (provider, model): the most severe confirmed state
// among its lanes. Exported fields are its snapshot; the rest is derived.
type view struct {
	Provider string  `json:"provider"`
	Model    string  `json:"model"`
	Vantage  string  `json:"vantage"`
	Region   string  `json:"region"`
	Lanes    []*lane `json:"lanes"`

	decided     bool
	state       model.State
	misconf     bool
	reason      string
	since       time.Time
	lastChecked time.Time
	signature   string
	sample      string
	evidence    []string // the chosen lane's; copied before it leaves the engine

	vantage *vantage
	region  *region
}

// severity orders states for combining lanes: a failing check outweighs a passing one
// (the model is listed but cannot be used), and our own misconfiguration outweighs
// "available" so it is reported, while a merely unreadable answer does not.
func severity(s model.State, misconf bool) int {
	switch s {
	case model.StateRevoked:
		return 5
	case model.StateDown:
		return 4
	case model.StateDegraded:
		return 3
	case model.StateAvailable:
		return 1
	}
	if misconf {
		return 2
	}
	return 0
}

func (vw *view) derive() {
	var best *lane
	var last time.Time
	for _, l := range vw.Lanes {
		last = laterOf(last, l.LastChecked)
		if l.Decided && (best == nil || severity(l.State, l.Misconf) > severity(best.State, best.Misconf)) {
			best = l
		}
	}
	vw.lastChecked = last
	if best == nil {
		vw.decided = false
		return
	}
	vw.decided, vw.state, vw.misconf, vw.reason = true, best.State, best.Misconf, best.Reason
	vw.since, vw.signature, vw.sample, vw.evidence = best.Since, best.Signature, best.Sample, best.Evidence
}

func (vw *view) lane(check string) *lane {
	for _, l := range vw.Lanes {
		if l.Check == check {
			return l
		}
	}
	l := &lane{Check: check}
	vw.Lanes = append(vw.Lanes, l)
	return l
}

func (vw *view) status() model.TargetStatus {
	st := model.TargetStatus{Provider: vw.Provider, Model: vw.Model, Region: vw.Region, Vantage: vw.Vantage,
		State: model.StateUnknown, LastChecked: vw.lastChecked, Reason: ReasonAwaiting}
	if vw.decided {
		st.State, st.Since, st.Signature, st.Reason = vw.state, vw.since, vw.signature, vw.reason
	}
	return st
}

func (e *Engine) viewFor(v *vantage, provider, mdl string) *view {
	k := vkey{provider, mdl, v.ID}
	if vw := e.views[k]; vw != nil {
		return vw
	}
	vw := &view{Provider: provider, Model: mdl, Vantage: v.ID, Region: v.Region, vantage: v}
	vw.region = e.regionFor(provider, mdl, v.Region)
	vw.region.members = append(vw.region.members, vw)
	v.views = append(v.views, vw)
	e.views[k] = vw
	return vw
}

// observeView feeds a model result into its view and re-evaluates the view's region when
// the vantage is healthy. Results older than the lane's latest are ignored (late batches).
func (e *Engine) observeView(v *vantage, r *model.Result, out *[]model.EventUpdate) {
	vw := e.viewFor(v, r.Provider, r.Model)
	l := vw.lane(r.Check)
	if evidenceTime(r).Before(l.LastChecked) {
		return
	}
	switch {
	case r.Access == model.AccessAvailable:
		vw.region.SeenAvailable = true
	case r.Class == model.ClassModelUnavailable && r.Access == model.AccessRevoked && !vw.region.target.seenAvailable():
		// "Does not exist or you do not have access to it" is also what a vendor says of a model
		// our key was never given (a usage tier, a project setting) or a misspelt id. Withdrawn
		// needs a model that was there: until it is seen available once, this is ours to check.
		c := *r
		c.Access = model.AccessMisconfigured
		r = &c
	}
	l.observe(r, &e.o)
	vw.derive()
	if v.counts() {
		e.touchRegion(vw.region, out)
	}
	e.observeRetirement(v, vw.region, r, out)
}
