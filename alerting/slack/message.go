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

// Limits of Block Kit (https://api.slack.com/reference/block-kit/blocks) and our own budgets
// within them. Slack refuses a message that breaks one (invalid_blocks, msg_too_long), and
// refuses msg_blocks_too_long well before the sum of the documented limits (about 13,000
// characters of block text in practice), so the budgets keep the whole message near 10,000.
// Whatever does not fit is summarised ("and 23 more models", "and 12 more regions"), never
// dropped silently; the incident page has the full list.
const (
	MaxBlocks        = 50   // blocks per message
	MaxHeader        = 150  // header block text (plain_text)
	MaxSection       = 3000 // section block text
	MaxFields        = 10   // fields per section block
	MaxField         = 2000 // text of one field
	MaxContext       = 10   // elements of a context block
	MaxButton        = 75   // button text
	MaxURL           = 3000 // button url
	maxFieldBudget   = 1000 // our budget for one field
	maxDetailSection = 2    // sections of per-model lines
	maxSample        = 500
	maxFooter        = 1000
	maxText          = 3000 // the fallback text (Slack's notifications show far less)
	timeLayout       = "2006-01-02 15:04 UTC"
)

// Build renders a group of updates as one Slack message: what changed, where (regions with
// flags), since when (UTC), signature, a sample answer, the scope and the incident page. now
// measures how long open events have lasted (reminders). It is a pure function of its
// arguments, and its result stays within Block Kit's limits whatever the group's size.
func Build(g notify.Group, now time.Time) Message {
	evs := events(g)
	if len(evs) == 0 {
		return Message{Text: "accesswatch: empty notification"}
	}
	c := changesOf(g)
	title := title(g.Phase, evs, c, now)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, title, true, false)),
		slack.NewSectionBlock(nil, summary(g.Phase, evs, c, now), nil),
	}
	if len(evs) > 1 {
		for _, s := range details(g.Phase, evs, c, now, g) {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(s, MaxSection), nil, nil))
		}
	}
	if s := sample(evs); s != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(s, MaxSection), nil, nil))
	}
	if g.URL != "" && len(g.URL) <= MaxURL {
		btn := slack.NewButtonBlockElement("incident", g.IncidentID,
			slack.NewTextBlockObject(slack.PlainTextType, "Open the incident page", false, false))
		btn.URL = g.URL
		blocks = append(blocks, slack.NewActionBlock("", btn))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(footer(g, evs), maxFooter)))
	text := title + " — " + fitList(regionLabels(evs), "region", 1000, ", ")
	if g.Phase == model.PhaseOpened {
		text += " — since " + since(evs).Format(timeLayout)
	}
	if g.URL != "" {
		text += " — " + g.URL
	}
	return Message{Text: truncate(text, maxText), Blocks: slack.Blocks{BlockSet: blocks}}
}

// events returns the group's events in a stable order, one per event id (the latest update of
// an event that opened and ended between two notifications).
func events(g notify.Group) []model.Event {
	byID := map[string]int{}
	evs := make([]model.Event, 0, len(g.Updates))
	for _, u := range g.Updates {
		if i, ok := byID[u.Event.ID]; ok && u.Event.ID != "" {
			evs[i] = u.Event
			continue
		}
		byID[u.Event.ID] = len(evs)
		evs = append(evs, u.Event)
	}
	sortEvents(evs)
	return evs
}

func sortEvents(evs []model.Event) {
	slices.SortStableFunc(evs, func(a, b model.Event) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model),
			cmp.Compare(a.Vantage, b.Vantage), cmp.Compare(a.ID, b.ID))
	})
}

// changes sorts a group's events by what happened to them since the previous notification.
type changes struct {
	joined  []model.Event // opened
	changed []model.Event // regions or scope changed
	ended   []model.Event // closed
}

func changesOf(g notify.Group) changes {
	last := map[string]model.EventUpdate{}
	opened := map[string]bool{}
	for _, u := range g.Updates {
		last[u.Event.ID] = u
		if u.Phase == model.PhaseOpened {
			opened[u.Event.ID] = true
		}
	}
	var c changes
	for _, u := range last {
		switch {
		case u.Phase == model.PhaseClosed:
			c.ended = append(c.ended, u.Event)
		case opened[u.Event.ID]:
			c.joined = append(c.joined, u.Event)
		case u.Phase == model.PhaseUpdated:
			c.changed = append(c.changed, u.Event)
		}
	}
	sortEvents(c.joined)
	sortEvents(c.changed)
	sortEvents(c.ended)
	return c
}

// condition is what the events are about: the kind they opened as.
func condition(e model.Event) string { return cmp.Or(e.Condition, e.Kind) }

// outcome is how an ended event ended: its Outcome, or (events stored before outcomes existed)
// the kind it was closed as.
func outcome(e model.Event) string {
	if e.Outcome != "" {
		return e.Outcome
	}
	switch e.Kind {
	case model.EventRestored, model.EventRecovered, model.EventRetired:
		return e.Kind
	}
	if condition(e) == model.EventRevoked {
		return model.EventRestored
	}
	return model.EventRecovered
}

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

// ended words how events ended: "Restored", "Recovered", "Retired as announced", "Retirement
// withdrawn by the vendor".
func ended(e model.Event) string {
	switch o := outcome(e); {
	case o == model.EventRetired:
		return "Retired as announced"
	case condition(e) == model.EventDeprecation:
		return "Retirement withdrawn by the vendor"
	case o == model.EventRestored:
		return "Restored"
	}
	return "Recovered"
}

// names is what the events concern, one entry per provider's model (or per vantage).
func names(evs []model.Event) []string {
	var out []string
	for _, e := range evs {
		n := strings.TrimSpace(e.Provider + " " + e.Model)
		if condition(e) == model.EventVantageFault || (e.Model == "" && e.Vantage != "") {
			n = cmp.Or(e.Vantage, "unknown vantage")
		}
		out = appendNew(out, n)
	}
	return out
}

// subject names what the events concern within budget runes: "anthropic claude-a, claude-b",
// "anthropic claude-a, claude-b and 8 more models".
func subject(evs []model.Event, budget int) string {
	noun := "model"
	if condition(evs[0]) == model.EventVantageFault {
		noun = "vantage"
		return fitList(names(evs), noun, budget, ", ")
	}
	// One provider (the usual case): name it once.
	p := evs[0].Provider
	same := !slices.ContainsFunc(evs, func(e model.Event) bool { return e.Provider != p })
	if same && p != "" {
		var models []string
		for _, e := range evs {
			models = appendNew(models, e.Model)
		}
		return p + " " + fitList(models, noun, budget-utf8.RuneCountInString(p)-1, ", ")
	}
	return fitList(names(evs), noun, budget, ", ")
}

// title is the header: at most MaxHeader runes, the subject summarised to fit.
func title(phase string, evs []model.Event, c changes, now time.Time) string {
	cond := condition(evs[0])
	emoji, noun, opened, _ := describe(cond)
	var prefix string
	switch phase {
	case model.PhaseClosed:
		prefix = "✅ " + ended(evs[0])
		if o := outcome(evs[0]); o != model.EventRetired && cond != model.EventDeprecation {
			prefix += " after " + FormatDuration(longest(evs, now))
		}
		if o := outcome(evs[0]); o == model.EventRetired {
			prefix = "⛔ " + ended(evs[0])
		}
	case model.PhaseUpdated:
		prefix = "⚠️ " + noun + " " + movement(evs, c)
	case model.PhaseReminder:
		prefix = fmt.Sprintf("⏰ %s still open after %s", noun, FormatDuration(longest(evs, now)))
	default:
		if cond == model.EventVantageFault || cond == model.EventMisconfigured {
			prefix = emoji + " " + opened
		} else {
			prefix = emoji + " " + opened + " " + spread(evs)
		}
	}
	prefix += ": "
	return truncate(prefix+subject(evs, MaxHeader-utf8.RuneCountInString(prefix)), MaxHeader)
}

// spread says where the events are: "in every region", "in india", "in 3 regions".
func spread(evs []model.Event) string {
	regions := regionsOf(evs)
	switch {
	case widest(evs) == model.ScopeGlobal:
		return "in every region"
	case len(regions) == 1:
		return "in " + truncate(regions[0], 40)
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

func regionLabels(evs []model.Event) []string {
	var out []string
	for _, r := range regionsOf(evs) {
		out = append(out, regionLabel(r))
	}
	return out
}

// where lists the events' regions (with flags) within budget runes.
func where(evs []model.Event, budget int) string {
	labels := regionLabels(evs)
	if len(labels) == 0 {
		return "no region"
	}
	return fitList(escapeAll(labels), "region", budget, ", ")
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

// fitList joins items with sep within budget runes, summarising what does not fit: "a, b and 8
// more models". Items are taken in order; at least the count is always said.
func fitList(items []string, noun string, budget int, sep string) string {
	if len(items) == 0 {
		return ""
	}
	// widths[n] is the width of the first n items joined.
	widths := make([]int, 0, len(items)+1)
	widths = append(widths, 0)
	sepw := utf8.RuneCountInString(sep)
	for i, it := range items {
		w := widths[i] + utf8.RuneCountInString(it)
		if i > 0 {
			w += sepw
		}
		if w > budget+sepw+utf8.RuneCountInString(it) && i > 0 {
			break // nothing longer can fit
		}
		widths = append(widths, w)
	}
	if len(widths) == len(items)+1 && widths[len(items)] <= budget {
		return strings.Join(items, sep)
	}
	for n := min(len(widths)-1, len(items)-1); n >= 1; n-- {
		tail := " and " + plural(len(items)-n, "more "+noun)
		if widths[n]+utf8.RuneCountInString(tail) <= budget {
			return strings.Join(items[:n], sep) + tail
		}
	}
	return truncate(plural(len(items), noun), budget)
}

func escapeAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = escape(v)
	}
	return out
}

// mrkdwn is a mrkdwn text object of at most limit runes.
func mrkdwn(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(s, limit), false, false)
}

// escape makes text safe for mrkdwn: Slack requires &, < and > as entities.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// code is s as inline code, escaped.
func code(s string) string { return "`" + escape(strings.ReplaceAll(s, "`", "'")) + "`" }

// truncate cuts s to n runes, marking the cut with "…". It is the last resort for a single
// overlong value (a 400-character model name); lists are summarised by fitList instead.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
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
