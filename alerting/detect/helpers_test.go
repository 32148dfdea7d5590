package detect

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	ok       = model.ClassOK
	geo      = model.ClassGeoBlocked
	gone     = model.ClassModelUnavailable
	timeout  = model.ClassTimeout
	reset    = model.ClassConnectionReset
	refused  = model.ClassConnectionRefused
	overload = model.ClassOverloaded
	authFail = model.ClassAuthFailed
)

// harness drives an Engine with an injected clock, deterministic ids and numbered results.
type harness struct {
	t       *testing.T
	e       *Engine
	now     time.Time
	results int
	ids     int
	updates []model.EventUpdate // every update emitted so far
}

func newHarness(t *testing.T, o Options) *harness {
	h := &harness{t: t, now: t0}
	o.Now = func() time.Time { return h.now }
	o.NewID = func(time.Time) string { h.ids++; return fmt.Sprintf("ev%03d", h.ids) }
	h.e = New(o)
	return h
}

// res builds a result of check generate (or control when provider is "") at the harness time.
func (h *harness) res(vantage, region, provider, mdl string, c model.Class) model.Result {
	h.results++
	r := model.Result{ID: fmt.Sprintf("r%04d", h.results), Time: h.now, Vantage: vantage, Region: region,
		Provider: provider, Model: mdl, Check: model.CheckGenerate,
		Classification: model.Classification{Class: c, Access: model.AccessOf(c), Signature: provider + ":" + string(c)}}
	if provider == "" {
		r.Check, r.Signature = model.CheckControl, "control:"+string(c)
	}
	if c != ok {
		r.Excerpt = `{"error":"` + string(c) + `"}`
	}
	return r
}

func (h *harness) observe(r model.Result) []model.EventUpdate {
	u := h.e.Observe(r)
	h.updates = append(h.updates, u...)
	return u
}

func (h *harness) batch(rs ...model.Result) []model.EventUpdate {
	u := h.e.ObserveBatch(rs)
	h.updates = append(h.updates, u...)
	return u
}

// tick advances the clock by one probe round, well past the settle window, and collects what
// the settled rounds decided (as the service's flush loop does).
func (h *harness) tick() {
	h.now = h.now.Add(time.Minute)
	h.updates = append(h.updates, h.e.Flush()...)
}

func (h *harness) region(provider, mdl, region string) model.TargetStatus {
	h.t.Helper()
	for _, s := range h.e.Status() {
		if s.Provider == provider && s.Model == mdl && s.Region == region {
			return s
		}
	}
	h.t.Fatalf("no status for %s/%s/%s", provider, mdl, region)
	return model.TargetStatus{}
}

func phases(us []model.EventUpdate) []string {
	var out []string
	for _, u := range us {
		p := u.Phase + ":" + u.Event.Kind
		if u.Event.Outcome != "" {
			p += "/" + u.Event.Outcome
		}
		out = append(out, p)
	}
	return out
}

func mustPhases(t *testing.T, us []model.EventUpdate, want ...string) {
	t.Helper()
	if got := phases(us); !slices.Equal(got, want) {
		t.Fatalf("updates = %v, want %v", got, want)
	}
}

// vp is a vantage point of the 2026 scenario.
type vp struct{ id, region string }

var fourRegions = []vp{{"au1", "australia"}, {"eu1", "europe"}, {"in1", "india"}, {"us1", "us"}}

// round feeds one round, result by result as requests end: for every vantage, a control OK
// and one result per model with the class decide returns for it. It returns what the round
// decided once settled.
func (h *harness) round(vps []vp, provider string, models []string, decide func(v vp, mdl string) model.Class) []model.EventUpdate {
	var rs []model.Result
	for _, v := range vps {
		rs = append(rs, h.res(v.id, v.region, "", "", ok))
		for _, m := range models {
			rs = append(rs, h.res(v.id, v.region, provider, m, decide(v, m)))
		}
	}
	n := len(h.updates)
	for _, r := range rs {
		h.observe(r)
	}
	h.tick()
	return h.updates[n:]
}

func in(s string, set ...string) bool { return slices.Contains(set, s) }
