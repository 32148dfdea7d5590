package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

type incidentPage struct {
	pageMeta
	ID         string
	Open       bool
	Start, End time.Time
	Duration   string
	Provider   string
	Model      string
	Events     []eventView
	Regions    []regionObs
	Results    []model.Result
	RequestIDs []string
	RawURL     string
	ExportURL  string
	Claims     []claimView
	Notices    []string
}

type regionObs struct {
	Region      string
	First, Last time.Time
	Count       int
	Vantages    []string
}

func (s *server) incident(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	now := s.now()
	evs, err := s.incidentEvents(r, id)
	if err != nil {
		s.log.Error("incident page: events", "id", id, "err", err)
		http.Error(w, "the incident store is unavailable", http.StatusServiceUnavailable)
		return
	}
	if len(evs) == 0 {
		s.notFound(w, r, "There is no incident or event with this id.")
		return
	}
	groups := groupIncidents(evs, now)
	g := groups[0]
	p := incidentPage{pageMeta: s.meta("Incident " + g.ID), ID: g.ID, Open: g.Open, Start: g.Start, Events: g.Events,
		Provider: g.Events[0].Provider, Model: g.Events[0].Model}
	p.End, p.Duration = incidentEnd(g, now)

	var ids []string
	for _, e := range g.Events {
		for _, rid := range e.Evidence {
			if len(ids) < maxEvidenceIDs && !slices.Contains(ids, rid) {
				ids = append(ids, rid)
			}
		}
	}
	if len(ids) > 0 {
		res, err := s.src.ResultsByID(r.Context(), ids)
		if err != nil {
			s.log.Warn("incident page: evidence", "id", id, "err", err)
			p.Notices = append(p.Notices, "The stored observations could not be read right now.")
		}
		p.Results = sortedResults(res)
	}
	p.Regions = regionObservations(g.Events, p.Results)
	for _, res := range p.Results {
		if res.RequestID != "" && !slices.Contains(p.RequestIDs, res.RequestID) {
			p.RequestIDs = append(p.RequestIDs, res.RequestID)
		}
	}
	p.RawURL, p.ExportURL = resultLinks(p.Provider, p.Model, g.Start, p.End, now)
	claims, err := s.src.Claims(r.Context())
	if err != nil {
		s.log.Warn("incident page: vendor claims", "err", err)
	}
	for _, c := range claimViews(claims, s.src.Status(), now) {
		if c.Provider == p.Provider {
			p.Claims = append(p.Claims, c)
		}
	}
	s.render(w, r, http.StatusOK, "incident.html", p, "'self'")
}

// incidentEvents takes id as an incident id first, then as an event id (whose incident it loads).
func (s *server) incidentEvents(r *http.Request, id string) ([]model.Event, error) {
	evs, err := s.src.Events(r.Context(), EventQuery{IncidentID: id, Limit: incidentLimit})
	if err != nil || len(evs) > 0 {
		return evs, err
	}
	one, err := s.src.Events(r.Context(), EventQuery{ID: id, Limit: 1})
	if err != nil || len(one) == 0 || one[0].IncidentID == "" {
		return one, err
	}
	evs, err = s.src.Events(r.Context(), EventQuery{IncidentID: one[0].IncidentID, Limit: incidentLimit})
	if err != nil || len(evs) == 0 {
		return one, err
	}
	return evs, nil
}

// incidentEnd is the latest end of the incident's events, or now while any is open.
func incidentEnd(g incidentSummary, now time.Time) (time.Time, string) {
	if g.Open {
		return time.Time{}, fmtDuration(now.Sub(g.Start))
	}
	var end time.Time
	for _, e := range g.Events {
		if e.End.After(end) {
			end = e.End
		}
	}
	return end, fmtDuration(end.Sub(g.Start))
}

func sortedResults(in []model.Result) []model.Result {
	res := slices.Clone(in)
	slices.SortFunc(res, func(a, b model.Result) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Vantage, b.Vantage), cmp.Compare(a.ID, b.ID))
	})
	return res
}

// regionObservations lists every region the events name or the evidence comes from,
// with the first and last stored observation there.
func regionObservations(evs []eventView, res []model.Result) []regionObs {
	var out []regionObs
	find := func(region string) *regionObs {
		for i := range out {
			if out[i].Region == region {
				return &out[i]
			}
		}
		out = append(out, regionObs{Region: region})
		return &out[len(out)-1]
	}
	for _, e := range evs {
		for _, reg := range e.Regions {
			find(reg)
		}
		for _, c := range e.Changes {
			for _, reg := range c.Regions {
				find(reg)
			}
		}
	}
	for _, r := range res {
		if r.Region == "" {
			continue
		}
		o := find(r.Region)
		o.Count++
		if o.First.IsZero() || r.Time.Before(o.First) {
			o.First = r.Time
		}
		if r.Time.After(o.Last) {
			o.Last = r.Time
		}
		if r.Vantage != "" && !slices.Contains(o.Vantages, r.Vantage) {
			o.Vantages = append(o.Vantages, r.Vantage)
		}
	}
	slices.SortFunc(out, func(a, b regionObs) int { return cmp.Compare(a.Region, b.Region) })
	return out
}

// resultLinks point at the JSON results API and the CSV export for the incident's window.
func resultLinks(provider, mdl string, from, to, now time.Time) (raw, export string) {
	if to.IsZero() {
		to = now
	}
	from, to = from.Add(-time.Hour).UTC(), to.Add(time.Hour).UTC()
	q := url.Values{}
	if provider != "" {
		q.Set("provider", provider)
	}
	if mdl != "" {
		q.Set("model", mdl)
	}
	rq := url.Values{"since": {from.Format(time.RFC3339)}, "until": {to.Format(time.RFC3339)}}
	eq := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "format": {"csv"}}
	for k, v := range q {
		rq[k], eq[k] = v, v
	}
	return "/api/v1/results?" + rq.Encode(), "/api/v1/results/export?" + eq.Encode()
}
