package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

type indexPage struct {
	pageMeta
	Matrix    matrixView
	Incidents incidentsView
}

type matrixView struct {
	Generated time.Time
	Regions   []string
	Rows      []matrixRow
	History   []historyRow
	Claims    []claimView
	Notices   []string
}

type matrixRow struct {
	Provider, Model string
	Cells           []cell
}

type cell struct {
	Present                 bool
	Provider, Model, Region string
	State                   string
	Symbol                  string
	Since, LastChecked      time.Time
	Signature, Reason       string
}

type historyRow struct {
	Provider, Model, Region string
	Summary                 string
	Days                    []dayView
}

type dayView struct {
	Day   string
	Class string
	Label string
}

type claimView struct {
	Provider, Component, Status, Incident, Page string
	Observed                                    string
	CheckedAt                                   time.Time
}

type incidentsView struct {
	Incidents []incidentSummary
	Notices   []string
}

type incidentSummary struct {
	ID     string
	Open   bool
	Start  time.Time
	Events []eventView
	Claims []claimView
}

type eventView struct {
	model.Event
	Ended    bool
	End      time.Time
	Duration string
}

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	p := indexPage{pageMeta: s.meta("Regional availability of AI model APIs"),
		Matrix: s.matrix(r, now), Incidents: s.incidents(r, now)}
	s.render(w, r, http.StatusOK, "index.html", p, "'self'")
}

func (s *server) fragmentMatrix(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "matrix", s.matrix(r, s.now()), "'self'")
}

func (s *server) fragmentIncidents(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "incidents", s.incidents(r, s.now()), "'self'")
}

func (s *server) matrix(r *http.Request, now time.Time) matrixView {
	sts := sortedStatus(s.src.Status())
	mv := matrixView{Generated: now.UTC()}
	for _, st := range sts {
		if !slices.Contains(mv.Regions, st.Region) {
			mv.Regions = append(mv.Regions, st.Region)
		}
	}
	slices.Sort(mv.Regions)
	byKey := map[[3]string]model.TargetStatus{}
	for _, st := range sts {
		byKey[[3]string{st.Provider, st.Model, st.Region}] = st
	}
	for i, st := range sts {
		if i > 0 && sts[i-1].Provider == st.Provider && sts[i-1].Model == st.Model {
			continue
		}
		row := matrixRow{Provider: st.Provider, Model: st.Model}
		for _, reg := range mv.Regions {
			t, ok := byKey[[3]string{st.Provider, st.Model, reg}]
			row.Cells = append(row.Cells, cellOf(t, ok, reg))
		}
		mv.Rows = append(mv.Rows, row)
	}
	days, err := s.src.Daily(r.Context(), dayStart(now).AddDate(0, 0, -(historyDays-1)))
	if err != nil {
		s.log.Warn("status page: daily history", "err", err)
		mv.Notices = append(mv.Notices, "The 90-day history is unavailable right now.")
	}
	mv.History = history(sts, days, now)
	claims, err := s.src.Claims(r.Context())
	if err != nil {
		s.log.Warn("status page: vendor claims", "err", err)
		mv.Notices = append(mv.Notices, "Vendor status pages could not be read right now.")
	}
	mv.Claims = claimViews(claims, sts, now)
	return mv
}

func sortedStatus(in []model.TargetStatus) []model.TargetStatus {
	sts := slices.Clone(in)
	slices.SortFunc(sts, func(a, b model.TargetStatus) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Region, b.Region))
	})
	return sts
}

func cellOf(t model.TargetStatus, ok bool, region string) cell {
	if !ok {
		return cell{Region: region}
	}
	st := model.State(stateOrClass(t.State))
	return cell{Present: true, Provider: t.Provider, Model: t.Model, Region: t.Region, State: string(st),
		Symbol: stateSymbol(st), Since: t.Since, LastChecked: t.LastChecked, Signature: t.Signature, Reason: t.Reason}
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// history builds one bar of historyDays days per target, oldest first; days without data are grey.
func history(sts []model.TargetStatus, days []DayStat, now time.Time) []historyRow {
	type key struct{ p, m, r, day string }
	byDay := map[key]DayStat{}
	for _, d := range days {
		byDay[key{d.Provider, d.Model, d.Region, d.Day.UTC().Format(time.DateOnly)}] = d
	}
	first := dayStart(now).AddDate(0, 0, -(historyDays - 1))
	rows := make([]historyRow, 0, len(sts))
	for _, st := range sts {
		row := historyRow{Provider: st.Provider, Model: st.Model, Region: st.Region, Days: make([]dayView, 0, historyDays)}
		var ok, total int64
		for i := range historyDays {
			day := first.AddDate(0, 0, i).Format(time.DateOnly)
			d, found := byDay[key{st.Provider, st.Model, st.Region, day}]
			if !found || d.Total == 0 {
				row.Days = append(row.Days, dayView{Day: day, Class: "none", Label: day + ": no data"})
				continue
			}
			ok, total = ok+d.OK, total+d.Total
			worst := stateOrClass(d.Worst)
			row.Days = append(row.Days, dayView{Day: day, Class: worst,
				Label: fmt.Sprintf("%s: %s available, worst state %s", day, pct(d.OK, d.Total), worst)})
		}
		row.Summary = "no data in 90 days"
		if total > 0 {
			row.Summary = pct(ok, total) + " available over 90 days"
		}
		rows = append(rows, row)
	}
	return rows
}

func pct(ok, total int64) string {
	if total <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%%", float64(ok)*100/float64(total))
}

// claimViews pairs each vendor claim with what we observe for the same provider.
func claimViews(claims []model.Claim, sts []model.TargetStatus, now time.Time) []claimView {
	out := make([]claimView, 0, len(claims))
	for _, c := range claims {
		out = append(out, claimView{Provider: c.Provider, Component: c.Component, Status: c.Status,
			Incident: c.Incident, Page: c.Page, CheckedAt: c.CheckedAt, Observed: observed(c.Provider, sts, now)})
	}
	slices.SortFunc(out, func(a, b claimView) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Component, b.Component))
	})
	return out
}

// observed summarises a provider's non-available regions: "revoked in india, europe since 09:12 UTC".
func observed(provider string, sts []model.TargetStatus, now time.Time) string {
	type reg struct {
		name  string
		since time.Time
	}
	bad := map[model.State][]reg{}
	seen := false
	for _, st := range sts {
		if st.Provider != provider {
			continue
		}
		seen = true
		if st.State == model.StateAvailable || st.State == model.StateUnknown {
			continue
		}
		if i := slices.IndexFunc(bad[st.State], func(r reg) bool { return r.name == st.Region }); i >= 0 {
			if st.Since.Before(bad[st.State][i].since) {
				bad[st.State][i].since = st.Since
			}
			continue
		}
		bad[st.State] = append(bad[st.State], reg{st.Region, st.Since})
	}
	if !seen {
		return "no observations"
	}
	var parts []string
	for _, state := range []model.State{model.StateRevoked, model.StateDown, model.StateDegraded} {
		regs := bad[state]
		if len(regs) == 0 {
			continue
		}
		slices.SortFunc(regs, func(a, b reg) int { return cmp.Or(a.since.Compare(b.since), cmp.Compare(a.name, b.name)) })
		names := make([]string, len(regs))
		for i, r := range regs {
			names[i] = r.name
		}
		parts = append(parts, fmt.Sprintf("%s in %s since %s", state, strings.Join(names, ", "), sinceText(regs[0].since, now)))
	}
	if len(parts) == 0 {
		return "available everywhere we probe"
	}
	return strings.Join(parts, "; ")
}

func (s *server) incidents(r *http.Request, now time.Time) incidentsView {
	var iv incidentsView
	evs, err := s.src.Events(r.Context(), EventQuery{Since: dayStart(now).AddDate(0, 0, -(historyDays - 1)), Limit: timelineLimit})
	if err != nil {
		s.log.Warn("status page: events", "err", err)
		iv.Notices = append(iv.Notices, "The incident timeline is unavailable right now.")
	}
	claims, err := s.src.Claims(r.Context())
	if err != nil {
		s.log.Warn("status page: vendor claims", "err", err)
	}
	sts := s.src.Status()
	iv.Incidents = groupIncidents(evs, now)
	for i := range iv.Incidents {
		inc := &iv.Incidents[i]
		var provs []string
		for _, e := range inc.Events {
			if e.Provider != "" && !slices.Contains(provs, e.Provider) {
				provs = append(provs, e.Provider)
			}
		}
		for _, c := range claimViews(claims, sts, now) {
			if slices.Contains(provs, c.Provider) {
				inc.Claims = append(inc.Claims, c)
			}
		}
	}
	return iv
}

// groupIncidents groups events by incident id (an event without one is its own incident),
// newest incident first, each incident's events in start order.
func groupIncidents(evs []model.Event, now time.Time) []incidentSummary {
	idx := map[string]int{}
	var out []incidentSummary
	for _, e := range evs {
		id := cmp.Or(e.IncidentID, e.ID)
		i, ok := idx[id]
		if !ok {
			i = len(out)
			idx[id] = i
			out = append(out, incidentSummary{ID: id, Start: e.StartedAt})
		}
		inc := &out[i]
		inc.Events = append(inc.Events, viewEvent(e, now))
		inc.Open = inc.Open || e.Open()
		if e.StartedAt.Before(inc.Start) {
			inc.Start = e.StartedAt
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].Events, func(a, b eventView) int { return a.StartedAt.Compare(b.StartedAt) })
	}
	slices.SortStableFunc(out, func(a, b incidentSummary) int { return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(a.ID, b.ID)) })
	return out
}

func viewEvent(e model.Event, now time.Time) eventView {
	v := eventView{Event: e, Duration: fmtDuration(e.Duration(now))}
	if e.EndedAt != nil {
		v.Ended, v.End = true, *e.EndedAt
	}
	return v
}
