package detect

import (
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// vantage is one vantage point's health. Exported fields are its snapshot.
type vantage struct {
	ID            string    `json:"id"`
	Region        string    `json:"region"`
	Healthy       bool      `json:"healthy"`
	Reason        string    `json:"reason,omitempty"`
	Since         time.Time `json:"since,omitzero"`
	LastSeen      time.Time `json:"last_seen,omitzero"`
	LastSignature string    `json:"last_signature,omitempty"` // of the latest control result

	HasControl  bool      `json:"has_control,omitempty"`
	Mismatch    bool      `json:"mismatch,omitempty"`
	LastControl time.Time `json:"last_control,omitzero"`
	CtrlFail    int       `json:"ctrl_fail,omitempty"` // consecutive failing control results
	CtrlOK      int       `json:"ctrl_ok,omitempty"`   // consecutive OK control results (no mismatch)
	Clean       int       `json:"clean,omitempty"`     // consecutive results without mismatch
	FailSince   time.Time `json:"fail_since,omitzero"`
	OKSince     time.Time `json:"ok_since,omitzero"`
	CleanSince  time.Time `json:"clean_since,omitzero"`
	FailClass   string    `json:"fail_class,omitempty"`
	FailSig     string    `json:"fail_sig,omitempty"`
	FailIDs     []string  `json:"fail_ids,omitempty"` // evidence of the current failure streak

	views []*view
	event *openEvent // open vantage_fault event
}

// vantageFor returns the vantage with id, creating it (healthy) or moving it to region when
// its results now name another region.
func (e *Engine) vantageFor(id, region string, at time.Time, out *[]model.EventUpdate) *vantage {
	v := e.vantages[id]
	if v == nil {
		v = &vantage{ID: id, Region: region, Healthy: true, Since: at}
		e.vantages[id] = v
		return v
	}
	if region != v.Region {
		e.moveVantage(v, region, out)
	}
	return v
}

// moveVantage re-homes every view of v to region; both the old and new regions are
// re-evaluated. Rare: a vantage re-configured into another region.
func (e *Engine) moveVantage(v *vantage, region string, out *[]model.EventUpdate) {
	v.Region = region
	if v.event != nil {
		v.event.Event.Regions = []string{region}
	}
	for _, vw := range v.views {
		old := vw.region
		old.members = slices.DeleteFunc(old.members, func(m *view) bool { return m == vw })
		vw.Region = region
		vw.region = e.regionFor(vw.Provider, vw.Model, region)
		vw.region.members = append(vw.region.members, vw)
		e.touchRegion(old, out)
		e.touchRegion(vw.region, out)
	}
}

// counts reports whether v's views may move regions now: healthy, and no control failure in
// progress. A control failure that is not yet confirmed already holds v's views back, so a
// dead proxy's second refused request never moves a region just because it was stored
// before the second failed control result that makes the vantage unhealthy.
func (v *vantage) counts() bool { return v.Healthy && v.CtrlFail == 0 }

// observeHealth updates v's health from r: a mismatched result makes it unhealthy at once;
// FailAfter failing control results make it unhealthy; RecoverAfter OK control results (or,
// for a vantage without a control probe, RecoverAfter clean results) make it healthy again.
func (e *Engine) observeHealth(v *vantage, r *model.Result, out *[]model.EventUpdate) {
	at := evidenceTime(r)
	counted, healthy := v.counts(), v.Healthy
	defer func() {
		if v.Healthy == healthy && v.counts() != counted { // setHealth re-evaluated otherwise
			for _, vw := range v.views {
				e.touchRegion(vw.region, out)
			}
		}
	}()
	v.LastSeen = laterOf(v.LastSeen, at)
	if r.VantageMismatch {
		v.Mismatch, v.Clean, v.CtrlOK = true, 0, 0
		if v.Healthy {
			v.FailIDs = append(v.FailIDs[:0], r.ID)
			e.setHealth(v, false, ReasonMismatch, at, "vantage:egress country mismatch", out)
		}
		return
	}
	if v.Clean == 0 {
		v.CleanSince = at
	}
	v.Clean++
	v.Mismatch = false
	if r.Check == model.CheckControl && !at.Before(v.LastControl) {
		v.LastControl, v.HasControl, v.LastSignature = at, true, r.Signature
		if r.OK() {
			if v.CtrlOK == 0 {
				v.OKSince = at
			}
			v.CtrlOK++
			v.CtrlFail = 0
		} else {
			if v.CtrlFail == 0 {
				v.FailSince, v.FailIDs = at, v.FailIDs[:0]
			}
			v.CtrlFail++
			v.CtrlOK = 0
			v.FailClass, v.FailSig = string(r.Class), r.Signature
			v.FailIDs = appendBounded(v.FailIDs, r.ID, e.o.MaxEvidence)
		}
	}
	switch {
	case v.Healthy && v.CtrlFail >= e.o.FailAfter:
		e.setHealth(v, false, reasonControlPrefix+v.FailClass, v.FailSince, v.FailSig, out)
	case !v.Healthy && v.HasControl && v.CtrlOK >= e.o.RecoverAfter:
		e.setHealth(v, true, "", v.OKSince, "", out)
	case !v.Healthy && !v.HasControl && v.Clean >= e.o.RecoverAfter:
		e.setHealth(v, true, "", v.CleanSince, "", out)
	}
}

// setHealth flips v, opens or closes its vantage_fault event and re-evaluates every region
// it has a view in (its views stop or start counting there).
func (e *Engine) setHealth(v *vantage, healthy bool, reason string, since time.Time, sig string, out *[]model.EventUpdate) {
	v.Healthy, v.Reason, v.Since = healthy, reason, since
	if healthy {
		e.closeVantageEvent(v, since, out)
	} else {
		e.openVantageEvent(v, since, sig, out)
	}
	for _, vw := range v.views {
		e.touchRegion(vw.region, out)
	}
}
