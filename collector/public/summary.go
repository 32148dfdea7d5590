package public

import (
	"crypto/sha256"
	"encoding/base32"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Statuspage component states and page indicators.
const (
	spOperational = "operational"
	spDegraded    = "degraded_performance"
	spPartial     = "partial_outage"
	spMajor       = "major_outage"
)

// spSummary mirrors Atlassian Statuspage's GET /api/v2/summary.json.
type spSummary struct {
	Page                  spPage        `json:"page"`
	Status                spStatus      `json:"status"`
	Components            []spComponent `json:"components"`
	Incidents             []struct{}    `json:"incidents"`
	ScheduledMaintenances []struct{}    `json:"scheduled_maintenances"`
}

type spPage struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	TimeZone  string    `json:"time_zone"`
	UpdatedAt time.Time `json:"updated_at"`
}

type spStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type spComponent struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Status             string    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Position           int       `json:"position"`
	Description        *string   `json:"description"`
	Showcase           bool      `json:"showcase"`
	StartDate          *string   `json:"start_date"`
	GroupID            *string   `json:"group_id"`
	PageID             string    `json:"page_id"`
	Group              bool      `json:"group"`
	OnlyShowIfDegraded bool      `json:"only_show_if_degraded"`
	Components         []string  `json:"components,omitempty"` // groups: their members' ids
}

// componentStatus maps our states; unknown is degraded_performance (see the package doc).
func componentStatus(st model.State) string {
	switch st {
	case model.StateAvailable:
		return spOperational
	case model.StateRevoked, model.StateDown:
		return spMajor
	}
	return spDegraded
}

var statusRank = map[string]int{spOperational: 0, spDegraded: 1, spPartial: 2, spMajor: 3}

// stableID is a Statuspage-looking id (12 lowercase base32 characters) that depends only on parts.
func stableID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:12])
}

// renderSummary builds summary.json: a group per (provider, model) holding a component per region,
// named "model region" so aggregators that flatten groups stay unambiguous.
func (s *Server) renderSummary(targets []model.TargetStatus, claims []model.Claim, now time.Time) []byte {
	pageID := stableID("page", s.base, s.title)
	out := spSummary{Page: spPage{ID: pageID, Name: s.title, URL: s.base, TimeZone: "Etc/UTC"},
		Components: []spComponent{}, Incidents: []struct{}{}, ScheduledMaintenances: []struct{}{}}
	var latest time.Time
	counts := map[string]int{}
	pos := 0
	for i := 0; i < len(targets); {
		p, m := targets[i].Provider, targets[i].Model
		gid := stableID("group", p, m)
		group := spComponent{ID: gid, Name: p + " " + m, Showcase: true, PageID: pageID, Group: true}
		pos++
		group.Position = pos
		gi := len(out.Components)
		out.Components = append(out.Components, group)
		byState := map[model.State][]string{}
		for ; i < len(targets) && targets[i].Provider == p && targets[i].Model == m; i++ {
			t := targets[i]
			c := s.regionComponent(t, gid, pageID, now)
			pos++
			c.Position = pos
			out.Components = append(out.Components, c)
			g := &out.Components[gi]
			g.Components = append(g.Components, c.ID)
			if statusRank[c.Status] > statusRank[g.Status] || g.Status == "" {
				g.Status = c.Status
			}
			if c.UpdatedAt.After(g.UpdatedAt) {
				g.UpdatedAt = c.UpdatedAt
			}
			if g.CreatedAt.IsZero() || c.CreatedAt.Before(g.CreatedAt) {
				g.CreatedAt = c.CreatedAt
			}
			counts[c.Status]++
			byState[stateOr(t.State)] = append(byState[stateOr(t.State)], t.Region)
		}
		g := &out.Components[gi]
		if g.Status == spMajor && len(byState[model.StateAvailable])+len(byState[model.StateDegraded])+len(byState[model.StateUnknown]) > 0 {
			g.Status = spPartial // some regions out, others not: the regional signal
		}
		d := groupDescription(byState, len(g.Components), claimsOf(claims, p))
		g.Description = &d
		if g.UpdatedAt.After(latest) {
			latest = g.UpdatedAt
		}
	}
	if latest.IsZero() {
		latest = now
	}
	out.Page.UpdatedAt = latest
	out.Status = pageStatus(counts)
	return marshalLine(out)
}

func stateOr(st model.State) model.State {
	if st == "" {
		return model.StateUnknown
	}
	return st
}

func (s *Server) regionComponent(t model.TargetStatus, gid, pageID string, now time.Time) spComponent {
	id := stableID("component", t.Provider, t.Model, t.Region)
	st := stateOr(t.State)
	updated := t.Since
	if updated.IsZero() {
		updated = t.LastChecked
	}
	created, seen := s.created[id]
	if updated.IsZero() {
		updated = now
		if seen {
			updated = created // no time of its own: keep the bytes (and ETag) stable across rebuilds
		}
	}
	updated = updated.UTC()
	if !seen || updated.Before(created) {
		created = updated
		s.created[id] = created
	}
	d := string(st) + " in " + t.Region + " since " + updated.Format(time.RFC3339)
	if t.Signature != "" && st != model.StateAvailable {
		d += " (" + t.Signature + ")"
	}
	if t.Reason != "" {
		d += ": " + t.Reason
	}
	g := gid
	return spComponent{ID: id, Name: t.Model + " " + t.Region, Status: componentStatus(st), CreatedAt: created, UpdatedAt: updated,
		Description: &d, Showcase: true, GroupID: &g, PageID: pageID}
}

// groupDescription says what we observed and what the vendor claims:
// "observed: revoked in india, australia; available in 3 of 5 regions; vendor: Claude API operational".
func groupDescription(byState map[model.State][]string, n int, claims []model.Claim) string {
	var parts []string
	for _, st := range []model.State{model.StateRevoked, model.StateDown, model.StateDegraded, model.StateUnknown} {
		if rs := byState[st]; len(rs) > 0 {
			parts = append(parts, string(st)+" in "+strings.Join(rs, ", "))
		}
	}
	if a := len(byState[model.StateAvailable]); a == n {
		parts = append(parts, "available in all "+strconv.Itoa(n)+" regions")
	} else {
		parts = append(parts, "available in "+strconv.Itoa(a)+" of "+strconv.Itoa(n)+" regions")
	}
	d := "observed: " + strings.Join(parts, "; ")
	if len(claims) > 0 {
		var cs []string
		for _, c := range claims {
			cs = append(cs, c.Component+" "+c.Status)
		}
		d += "; vendor: " + strings.Join(cs, ", ")
	}
	return d
}

func claimsOf(claims []model.Claim, provider string) []model.Claim {
	var out []model.Claim
	for _, c := range claims {
		if c.Provider == provider {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Component < out[j].Component })
	return out
}

// pageStatus follows Statuspage's indicator wording, counting region components only.
func pageStatus(counts map[string]int) spStatus {
	total := counts[spOperational] + counts[spDegraded] + counts[spMajor]
	switch {
	case counts[spMajor] > 0 && counts[spMajor] == total:
		return spStatus{"critical", "Major System Outage"}
	case counts[spMajor] > 0:
		return spStatus{"major", "Partial System Outage"}
	case counts[spDegraded] > 0:
		return spStatus{"minor", "Minor Service Outage"}
	}
	return spStatus{"none", "All Systems Operational"}
}
