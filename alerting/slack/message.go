package slack

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Message is what Notify posts: Block Kit blocks and the fallback text Slack shows in
// notifications and to screen readers.
type Message struct {
	Text   string       `json:"text"`
	Blocks slack.Blocks `json:"blocks"`
}

// Limits of Block Kit (header text 150 chars, section text 3000) and our own for readability.
const (
	maxHeader     = 150
	maxSection    = 3000
	maxSample     = 500
	maxDetailRows = 10
	timeLayout    = "2006-01-02 15:04 UTC"
)

// Build renders a group of updates as one Slack message: what changed, where (regions with
// flags), since when (UTC), signature, a sample answer and the scope. now measures how long
// open events have lasted (reminders). It is a pure function of its arguments.
func Build(g notify.Group, now time.Time) Message {
	evs := events(g)
	if len(evs) == 0 {
		return Message{Text: "accesswatch: empty notification"}
	}
	title := title(g.Phase, evs, now)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(title, maxHeader), true, false)),
		slack.NewSectionBlock(nil, summary(g.Phase, evs, now), nil),
	}
	if len(evs) > 1 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(details(g.Phase, evs, now)), nil, nil))
	}
	if s := sample(evs); s != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(s), nil, nil))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(footer(g, evs))))
	text := title + " — " + where(evs)
	if g.Phase == model.PhaseOpened {
		text += " — since " + since(evs).Format(timeLayout)
	}
	return Message{Text: text, Blocks: slack.Blocks{BlockSet: blocks}}
}

// events returns the group's events in a stable order.
func events(g notify.Group) []model.Event {
	evs := make([]model.Event, 0, len(g.Updates))
	for _, u := range g.Updates {
		evs = append(evs, u.Event)
	}
	slices.SortStableFunc(evs, func(a, b model.Event) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model),
			cmp.Compare(a.Vantage, b.Vantage), cmp.Compare(a.ID, b.ID))
	})
	return evs
}

// condition is what the events are about: the kind they opened as.
func condition(e model.Event) string { return cmp.Or(e.Condition, e.Kind) }

// describe words a condition: its emoji, its noun, how an opening is titled, what it means.
func describe(c string) (emoji, noun, opened, what string) {
	switch c {
	case model.EventRevoked:
		return "🚫", "Revocation", "Revoked",
			"The vendor refuses these models here: its own policy answer (geo block, model withdrawn), not a fault and not our key or billing."
	case model.EventOutage:
		return "🔥", "Outage", "Outage", "No answer from the vendor: timeouts, resets, refusals."
	case model.EventDegraded:
		return "🐢", "Degradation", "Degraded", "The vendor answers with overload, rate limits or server errors."
	case model.EventVantageFault:
		return "📡", "Vantage fault", "Vantage fault",
			"A vantage cannot reach its control: its results are set aside and move no region."
	case model.EventMisconfigured:
		return "🔧", "Probe misconfiguration", "Probe misconfigured",
			"Our own probe fails (an expired key, billing): this is not a revocation."
	case model.EventDeprecation:
		return "📅", "Retirement notice", "Retirement announced",
			"The vendor's models list dates these models' retirement: they still answer; plan the move before that date."
	}
	return "ℹ️", c, c, ""
}

// subject names what the events concern: "anthropic claude-a, claude-b", or the vantages.
func subject(evs []model.Event) string {
	if condition(evs[0]) == model.EventVantageFault {
		var vs []string
		for _, e := range evs {
			vs = appendNew(vs, cmp.Or(e.Vantage, "unknown vantage"))
		}
		return strings.Join(vs, ", ")
	}
	var parts []string
	for i := 0; i < len(evs); {
		p := evs[i].Provider
		var models []string
		for ; i < len(evs) && evs[i].Provider == p; i++ {
			models = appendNew(models, evs[i].Model)
		}
		parts = append(parts, strings.TrimSpace(p+" "+strings.Join(models, ", ")))
	}
	return strings.Join(parts, "; ")
}

func title(phase string, evs []model.Event, now time.Time) string {
	c := condition(evs[0])
	emoji, noun, opened, _ := describe(c)
	subj := subject(evs)
	switch phase {
	case model.PhaseClosed:
		if c == model.EventDeprecation {
			if evs[0].Kind == model.EventRetired {
				return "⛔ Retired as announced: " + subj
			}
			return "✅ Retirement withdrawn by the vendor: " + subj
		}
		done := "Recovered"
		if c == model.EventRevoked {
			done = "Restored"
		}
		return fmt.Sprintf("✅ %s after %s: %s", done, FormatDuration(longest(evs, now)), subj)
	case model.PhaseUpdated:
		return fmt.Sprintf("⚠️ %s %s: %s", noun, movement(evs), subj)
	case model.PhaseReminder:
		return fmt.Sprintf("⏰ %s still open after %s: %s", noun, FormatDuration(longest(evs, now)), subj)
	}
	if c == model.EventVantageFault || c == model.EventMisconfigured {
		return fmt.Sprintf("%s %s: %s", emoji, opened, subj)
	}
	return fmt.Sprintf("%s %s %s: %s", emoji, opened, spread(evs), subj)
}

// spread says where the events are: "everywhere", "in india", "in 3 regions".
func spread(evs []model.Event) string {
	regions := regionsOf(evs)
	switch {
	case widest(evs) == model.ScopeGlobal:
		return "in every region"
	case len(regions) == 1:
		return "in " + regions[0]
	case len(regions) == 0:
		return "(no region)"
	}
	return fmt.Sprintf("in %d regions", len(regions))
}

func regionsOf(evs []model.Event) []string {
	var out []string
	for _, e := range evs {
		for _, r := range e.Regions {
			out = appendNew(out, r)
		}
	}
	return out
}

func where(evs []model.Event) string {
	labels := make([]string, 0, 4)
	for _, r := range regionsOf(evs) {
		labels = append(labels, regionLabel(r))
	}
	if len(labels) == 0 {
		return "no region"
	}
	return strings.Join(labels, ", ")
}

// widest is the widest scope among the events: global, then regional, then vantage.
func widest(evs []model.Event) string {
	rank := func(s string) int {
		return map[string]int{model.ScopeVantage: 1, model.ScopeRegional: 2, model.ScopeGlobal: 3}[s]
	}
	best := evs[0].Scope
	for _, e := range evs[1:] {
		if rank(e.Scope) > rank(best) {
			best = e.Scope
		}
	}
	return best
}

func since(evs []model.Event) time.Time {
	t := evs[0].StartedAt
	for _, e := range evs[1:] {
		if e.StartedAt.Before(t) {
			t = e.StartedAt
		}
	}
	return t
}

// longest is the longest duration among the events (until now for open ones).
func longest(evs []model.Event, now time.Time) time.Duration {
	var d time.Duration
	for _, e := range evs {
		d = max(d, e.Duration(now))
	}
	return d
}

func appendNew(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(s, maxSection), false, false)
}

// escape makes text safe for mrkdwn: Slack requires &, < and > as entities.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// code is s as inline code, escaped.
func code(s string) string { return "`" + escape(strings.ReplaceAll(s, "`", "'")) + "`" }

// truncate cuts s to n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// FormatDuration writes d with its two largest units: "2h 14m", "3d 2h", "45m", "30s".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	days, h, m, s := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60, int(d/time.Second)%60
	two := func(a int, au string, b int, bu string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, au)
		}
		return fmt.Sprintf("%d%s %d%s", a, au, b, bu)
	}
	switch {
	case days > 0:
		return two(days, "d", h, "h")
	case h > 0:
		return two(h, "h", m, "m")
	case m > 0:
		return two(m, "m", s, "s")
	}
	return fmt.Sprintf("%ds", s)
}
