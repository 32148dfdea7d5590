package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/httpjson"
	"github.com/accesswatch/accesswatch/internal/model"
)

// StatusSource reports the current state of every target; the detection engine is one.
type StatusSource interface {
	Status() []model.TargetStatus
}

// StatusFunc adapts a function to a StatusSource.
type StatusFunc func() []model.TargetStatus

// Status calls f.
func (f StatusFunc) Status() []model.TargetStatus { return f() }

// EventSource reads stored events; *store.Store is one.
type EventSource interface {
	Events(ctx context.Context, f store.EventFilter) ([]model.Event, error)
}

// statusTarget is one target on the wire: signature always present, times null when unknown.
type statusTarget struct {
	Provider    string      `json:"provider"`
	Model       string      `json:"model"`
	Region      string      `json:"region"`
	Vantage     string      `json:"vantage,omitempty"` // set on a vantage's own view
	State       model.State `json:"state"`
	Since       *time.Time  `json:"since"`
	Signature   string      `json:"signature"`
	LastChecked *time.Time  `json:"last_checked"`
	Reason      string      `json:"reason,omitempty"`
	Vantages    int         `json:"vantages,omitempty"`
}

type statusBody struct {
	GeneratedAt time.Time      `json:"generated_at"`
	Targets     []statusTarget `json:"targets"`
}

// statusFilter selects targets; empty fields match everything.
type statusFilter struct {
	provider, model, region string
	state                   model.State
}

func (f *statusFilter) match(t *model.TargetStatus) bool {
	return (f.provider == "" || t.Provider == f.provider) && (f.model == "" || t.Model == f.model) &&
		(f.region == "" || t.Region == f.region) && (f.state == "" || t.State == f.state)
}

// parseStatusFilter reads the status route's parameters: provider, model and region
// (exact match) and state (one of model.States()).
func parseStatusFilter(q url.Values) (statusFilter, error) {
	var f statusFilter
	var state string
	strs := map[string]*string{"provider": &f.provider, "model": &f.model, "region": &f.region, "state": &state}
	err := eachParam(q, func(k, v string) error {
		p, ok := strs[k]
		if !ok {
			return fmt.Errorf("unknown parameter %q", k)
		}
		*p = v
		return nil
	})
	if err != nil {
		return f, err
	}
	if state != "" && !slices.Contains(model.States(), model.State(state)) {
		return f, fmt.Errorf("state: unknown state %q", state)
	}
	f.state = model.State(state)
	return f, nil
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	if s.statusSrc == nil {
		httpjson.WriteError(w, http.StatusServiceUnavailable, "status not available")
		return
	}
	f, err := parseStatusFilter(r.URL.Query())
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpjson.WriteJSON(w, http.StatusOK, statusOf(s.statusSrc.Status(), f, s.now()))
}

// statusOf is the body of GET /api/v1/status for the targets that f matches.
func statusOf(ts []model.TargetStatus, f statusFilter, now time.Time) statusBody {
	body := statusBody{GeneratedAt: now.UTC(), Targets: []statusTarget{}}
	for _, t := range ts {
		if !f.match(&t) {
			continue
		}
		body.Targets = append(body.Targets, statusTarget{Provider: t.Provider, Model: t.Model,
			Region: t.Region, Vantage: t.Vantage, State: t.State, Since: nullTime(t.Since),
			Signature: t.Signature, LastChecked: nullTime(t.LastChecked), Reason: t.Reason,
			Vantages: t.Vantages})
	}
	slices.SortFunc(body.Targets, func(a, b statusTarget) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.Vantage, b.Vantage))
	})
	return body
}

// StatusJSON renders the unfiltered GET /api/v1/status body, for a pre-rendered snapshot that
// serves the same bytes under load.
func StatusJSON(ts []model.TargetStatus, now time.Time) ([]byte, error) {
	return json.Marshal(statusOf(ts, statusFilter{}, now))
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// eventView is an event on the wire: model.Event plus its duration so far and, beside what we
// observed, what the vendor's own status page claims now.
type eventView struct {
	model.Event
	DurationSeconds float64       `json:"duration_seconds"` // ended-started, or now-started while open
	VendorClaims    []model.Claim `json:"vendor_claims,omitempty"`
}

// eventKinds are the kinds the events route accepts as a filter: the kinds an event opens as
// (and keeps), and the outcomes, which as a kind select the ended events with that outcome
// (kind=restored: the revocations that ended).
func eventKinds() []string {
	return []string{model.EventRevoked, model.EventRestored, model.EventOutage, model.EventDegraded,
		model.EventRecovered, model.EventVantageFault, model.EventMisconfigured,
		model.EventDeprecation, model.EventRetired}
}

// eventOutcomes are how an event ends.
func eventOutcomes() []string {
	return []string{model.EventRestored, model.EventRecovered, model.EventRetired}
}

// parseEventFilter reads the events route's parameters:
//
//	provider, model, region, incident   exact match (region: any of the event's regions)
//	kind                                the kind an event opened as and keeps (revoked, outage,
//	                                    degraded, vantage_fault, misconfigured, deprecation), or an
//	                                    outcome (restored, recovered, retired): the events that
//	                                    ended so
//	outcome                             restored, recovered or retired: ended events that ended so
//	open                                true or false
//	since                               as for results: events open, or ended at or after it
//	limit                               1 to store.MaxLimit; default store.DefaultLimit
//
// Unknown or repeated parameters are errors. The returned filter always has Limit set.
func parseEventFilter(q url.Values, now time.Time) (store.EventFilter, error) {
	f := store.EventFilter{Limit: store.DefaultLimit}
	strs := map[string]*string{"provider": &f.Provider, "model": &f.Model, "region": &f.Region,
		"kind": &f.Kind, "outcome": &f.Outcome, "incident": &f.IncidentID}
	err := eachParam(q, func(k, v string) error {
		var err error
		switch k {
		case "since":
			f.Since, err = parseTime(k, v, now)
		case "limit":
			f.Limit, err = parseLimit(v)
		case "open":
			f.Open, err = parseOpen(v)
		default:
			p, ok := strs[k]
			if !ok {
				return fmt.Errorf("unknown parameter %q", k)
			}
			*p = v
		}
		return err
	})
	if err != nil {
		return f, err
	}
	if f.Kind != "" && !slices.Contains(eventKinds(), f.Kind) {
		return f, fmt.Errorf("kind: unknown kind %q", f.Kind)
	}
	if f.Outcome != "" && !slices.Contains(eventOutcomes(), f.Outcome) {
		return f, fmt.Errorf("outcome: want restored, recovered or retired, got %q", f.Outcome)
	}
	return f, nil
}

func parseOpen(v string) (*bool, error) {
	switch v {
	case "":
		return nil, nil
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, fmt.Errorf("open: want true or false, got %q", v)
}

// eachParam calls fn for each parameter in name order (the same bad request always gets
// the same message), after refusing repeated and over-long ones.
func eachParam(q url.Values, fn func(k, v string) error) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vs := q[k]
		if len(vs) > 1 {
			return fmt.Errorf("%s: given more than once", k)
		}
		if len(vs[0]) > maxParamLen {
			return fmt.Errorf("%s: longer than %d bytes", k, maxParamLen)
		}
		if err := fn(k, vs[0]); err != nil {
			return err
		}
	}
	return nil
}

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	if s.eventSrc == nil {
		httpjson.WriteError(w, http.StatusServiceUnavailable, "events not available")
		return
	}
	now := s.now()
	f, err := parseEventFilter(r.URL.Query(), now)
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	es, err := s.eventSrc.Events(r.Context(), f)
	if err != nil {
		if r.Context().Err() != nil {
			s.log.Debug("api: events: client went away", "err", err)
			return
		}
		s.log.Error("api: events query", "err", err)
		httpjson.WriteError(w, http.StatusInternalServerError, "query failed")
		return
	}
	claims := map[string][]model.Claim{}
	if s.claims != nil {
		cs, err := s.claims(r.Context())
		if err != nil {
			s.log.Warn("api: events: vendor claims", "err", err) // the events stand without them
		}
		for _, c := range cs {
			claims[c.Provider] = append(claims[c.Provider], c)
		}
	}
	views := make([]eventView, len(es))
	for i := range es {
		e := es[i]
		if e.Regions == nil {
			e.Regions = []string{} // the wire promises an array
		}
		views[i] = eventView{Event: e, DurationSeconds: max(e.Duration(now), 0).Seconds(), VendorClaims: claims[e.Provider]}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpjson.WriteJSON(w, http.StatusOK, map[string][]eventView{"events": views})
}
