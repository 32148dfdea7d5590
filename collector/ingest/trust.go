package ingest

import (
	"fmt"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Defaults of the result time window.
const (
	DefaultMaxAge  = 24 * time.Hour  // as the agent's spool_max_age
	DefaultMaxSkew = 5 * time.Minute // how far ahead of the collector's clock a result may be
)

// Vantage is a vantage as the collector's configuration describes it: the collector, not the
// agent, says where a vantage is.
type Vantage struct {
	ID, Region, Country string
}

// Watched is one provider of the collector's watch list and the models watched on it.
type Watched struct {
	Provider string
	Models   []string
}

// Refusal is why one result of an accepted batch was not taken: a closed set, usable as a
// metric label (never the refused name itself).
type Refusal string

// The refusals.
const (
	RefusedProvider Refusal = "unknown_provider" // provider not in the watch list
	RefusedModel    Refusal = "unknown_model"    // model not watched on its provider
	RefusedCheck    Refusal = "unknown_check"    // not a check an agent runs
	RefusedTooOld   Refusal = "too_old"          // time (or ended_at) older than MaxAge
	RefusedFuture   Refusal = "future"           // time (or ended_at) more than MaxSkew ahead
)

// Refusals lists every Refusal, in a stable order.
func Refusals() []Refusal {
	return []Refusal{RefusedProvider, RefusedModel, RefusedCheck, RefusedTooOld, RefusedFuture}
}

// agentChecks are the checks an agent reports; status pages are polled by the collector.
var agentChecks = map[string]bool{
	model.CheckModels: true, model.CheckModel: true, model.CheckCountTokens: true,
	model.CheckGenerate: true, model.CheckControl: true,
}

// trust is what the collector's configuration says about results: where each vantage is,
// which (provider, model) pairs are watched, and the window result times must fall in.
type trust struct {
	vantages map[string]Vantage
	models   map[string]map[string]bool // provider → model → watched
	maxAge   time.Duration
	maxSkew  time.Duration
}

func newTrust(vs []Vantage, ws []Watched, maxAge, maxSkew time.Duration) (*trust, error) {
	t := &trust{vantages: make(map[string]Vantage, len(vs)), models: make(map[string]map[string]bool, len(ws)),
		maxAge: maxAge, maxSkew: maxSkew}
	if t.maxAge <= 0 {
		t.maxAge = DefaultMaxAge
	}
	if t.maxSkew <= 0 {
		t.maxSkew = DefaultMaxSkew
	}
	for _, v := range vs {
		if v.ID == "" || v.Region == "" {
			return nil, fmt.Errorf("ingest: vantage %q needs an id and a region", v.ID)
		}
		if _, dup := t.vantages[v.ID]; dup {
			return nil, fmt.Errorf("ingest: vantage %q is configured twice", v.ID)
		}
		t.vantages[v.ID] = v
	}
	for _, w := range ws {
		if w.Provider == "" {
			return nil, fmt.Errorf("ingest: a watched provider has no id")
		}
		ms := t.models[w.Provider]
		if ms == nil {
			ms = make(map[string]bool, len(w.Models))
			t.models[w.Provider] = ms
		}
		for _, m := range w.Models {
			ms[m] = true
		}
	}
	return t, nil
}

// identity checks the result's vantage, region and country against the configuration and
// fills in an omitted country. A mismatch is the agent's configuration disagreeing with the
// collector's: the whole batch is refused (400), naming the field, until one is fixed.
func (t *trust) identity(i int, r *model.Result, field func(name, format string, args ...any) error) error {
	v, ok := t.vantages[r.Vantage]
	switch {
	case !ok:
		return &vantageError{field("vantage", "%s is not a vantage in the collector's configuration", quoteKey(r.Vantage))}
	case r.Region != v.Region:
		return &vantageError{field("region", "%s is not vantage %s's region %q", quoteKey(r.Region), quoteKey(v.ID), v.Region)}
	case r.Country == "":
		r.Country = v.Country
	case r.Country != v.Country:
		return &vantageError{field("country", "%s is not vantage %s's country %q", quoteKey(r.Country), quoteKey(v.ID), v.Country)}
	}
	return nil
}

// refuse reports why result i, valid and from a known vantage, is not taken, or "" when it
// is. Nothing here can be fixed by sending again, and one such result must not hold back the
// rest of an agent's spool: the batch is accepted and these are counted and dropped.
func (t *trust) refuse(i int, r *model.Result, now time.Time) (Refusal, string) {
	msg := func(name, format string, args ...any) string {
		return fmt.Sprintf("results[%d].%s: "+format, append([]any{i, name}, args...)...)
	}
	switch {
	case !agentChecks[r.Check]:
		return RefusedCheck, msg("check", "%s is not a check agents report", quoteKey(r.Check))
	case r.Check == model.CheckControl:
		if r.Provider != "" || r.Model != "" {
			return RefusedProvider, msg("provider", "a control result names no provider or model")
		}
	default:
		ms, ok := t.models[r.Provider]
		if !ok {
			return RefusedProvider, msg("provider", "%s is not a provider the collector watches", quoteKey(r.Provider))
		}
		if !ms[r.Model] {
			return RefusedModel, msg("model", "%s is not a model the collector watches on %s", quoteKey(r.Model), quoteKey(r.Provider))
		}
	}
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{"time", r.Time}, {"ended_at", r.EndedAt}} {
		if f.t.IsZero() {
			continue
		}
		if f.t.Before(now.Add(-t.maxAge)) {
			return RefusedTooOld, msg(f.name, "%s is more than %s before the collector's clock (collector.max_result_age)",
				f.t.UTC().Format(time.RFC3339), short(t.maxAge))
		}
		if f.t.After(now.Add(t.maxSkew)) {
			return RefusedFuture, msg(f.name, "%s is more than %s ahead of the collector's clock (collector.max_clock_skew)",
				f.t.UTC().Format(time.RFC3339), short(t.maxSkew))
		}
	}
	return "", ""
}

// short writes a duration as the configuration does: 24h, 5m, 90s.
func short(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}
