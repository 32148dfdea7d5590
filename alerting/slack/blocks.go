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

// summary is the main section's fields: what, where, when, signature, reason, scope (at most
// six of MaxFields, each within maxFieldBudget).
func summary(phase string, evs []model.Event, c changes, now time.Time) []*slack.TextBlockObject {
	cond := condition(evs[0])
	_, _, _, what := describe(cond)
	switch phase {
	case model.PhaseUpdated:
		what = updateText(c, now)
	case model.PhaseClosed:
		done := ended(evs[0])
		if cond == model.EventRevoked && outcome(evs[0]) == model.EventRestored {
			done = "Access restored"
		}
		what = fmt.Sprintf("%s after %s.", done, FormatDuration(longest(evs, now)))
	case model.PhaseReminder:
		what = fmt.Sprintf("Still open after %s. %s", FormatDuration(longest(evs, now)), what)
	}
	fields := []*slack.TextBlockObject{
		field("What", escape(what)),
		field("Where", whereText(evs)),
		mrkdwn(whenText(phase, evs), maxFieldBudget),
	}
	if sigs := signatures(evs); sigs != "" {
		fields = append(fields, field("Signature", sigs))
	}
	if reasons := reasons(evs); reasons != "" {
		fields = append(fields, field("Reason", reasons))
	}
	scope := scopeText(widest(evs), cond)
	if phase == model.PhaseClosed {
		scope = "at its widest, " + scope
	}
	return append(fields, field("Scope", escape(scope)))
}

// field is "*Name*\nvalue" within the field budget.
func field(name, value string) *slack.TextBlockObject {
	return mrkdwn("*"+name+"*\n"+value, maxFieldBudget)
}

const valueBudget = maxFieldBudget - 40 // room for the field's name

func whereText(evs []model.Event) string {
	if condition(evs[0]) != model.EventVantageFault {
		return where(evs, valueBudget)
	}
	var vs []string
	for _, e := range evs {
		vs = appendNew(vs, code(e.Vantage))
	}
	return "vantage " + fitList(vs, "vantage", valueBudget/2, ", ") + " in " + where(evs, valueBudget/2-10)
}

func whenText(phase string, evs []model.Event) string {
	start := since(evs).Format(timeLayout)
	if phase != model.PhaseClosed {
		return "*Since*\n" + start
	}
	var end time.Time
	for _, e := range evs {
		if e.EndedAt != nil && e.EndedAt.After(end) {
			end = *e.EndedAt
		}
	}
	if end.IsZero() {
		return "*Since*\n" + start
	}
	return "*When*\n" + start + " → " + end.Format(timeLayout)
}

func signatures(evs []model.Event) string {
	var out []string
	for _, e := range evs {
		if e.Signature != "" {
			out = appendNew(out, code(truncate(e.Signature, 120)))
		}
	}
	return fitList(out, "signature", valueBudget, ", ")
}

func reasons(evs []model.Event) string {
	var out []string
	for _, e := range evs {
		if e.Reason != e.Signature { // "auth_failed" twice says nothing more
			out = appendNew(out, escape(truncate(e.Reason, 300)))
		}
	}
	return fitList(out, "reason", valueBudget, "; ")
}

func scopeText(scope, c string) string {
	switch {
	case scope == model.ScopeRegional && c == model.EventRevoked:
		return "regional: revoked in some regions, available in others"
	case scope == model.ScopeRegional:
		return "regional: some regions affected, others fine"
	case scope == model.ScopeGlobal && c == model.EventRevoked:
		return "global: revoked in every region with data (a withdrawal)"
	case scope == model.ScopeGlobal && c == model.EventOutage:
		return "global: down in every region with data"
	case scope == model.ScopeGlobal:
		return "global: every region with data"
	case scope == model.ScopeVantage:
		return "vantage: one vantage's own fault, not the vendor's"
	}
	return cmp.Or(truncate(scope, 40), "unknown")
}

// regionDelta returns the regions before and after the events' latest change (before is nil
// when no earlier change is recorded).
func regionDelta(evs []model.Event) (prev, cur []string) {
	for _, e := range evs {
		n := len(e.Changes)
		if n == 0 {
			for _, r := range e.Regions {
				cur = appendNew(cur, r)
			}
			continue
		}
		for _, r := range e.Changes[n-1].Regions {
			cur = appendNew(cur, r)
		}
		if n >= 2 {
			for _, r := range e.Changes[n-2].Regions {
				prev = appendNew(prev, r)
			}
		}
	}
	return prev, cur
}

// movement is how an update moved the incident: "widened to every region", "spread to 2 more
// models, restored for 1 model", …
func movement(evs []model.Event, c changes) string {
	var parts []string
	if n := len(c.joined); n > 0 {
		parts = append(parts, "spread to "+plural(n, "more model"))
	}
	if len(c.changed) > 0 {
		prev, cur := regionDelta(c.changed)
		switch {
		case widest(c.changed) == model.ScopeGlobal:
			parts = append(parts, "widened to every region")
		case len(prev) == 0:
			parts = append(parts, "now "+spread(c.changed))
		case len(cur) < len(prev):
			parts = append(parts, "narrowed to "+plural(len(cur), "region"))
		default:
			parts = append(parts, "widened to "+plural(len(cur), "region"))
		}
	}
	if n := len(c.ended); n > 0 {
		parts = append(parts, strings.ToLower(ended(c.ended[0]))+" for "+plural(n, "model"))
	}
	if len(parts) == 0 {
		return "updated in " + plural(len(regionsOf(evs)), "region")
	}
	return strings.Join(parts, ", ")
}

// updateText says what changed since the incident's previous notification.
func updateText(c changes, now time.Time) string {
	var lines []string
	if len(c.joined) > 0 {
		lines = append(lines, fmt.Sprintf("Now also: %s, %s.", subject(c.joined, 300), spread(c.joined)))
	}
	if len(c.changed) > 0 {
		lines = append(lines, changeText(c.changed))
	}
	if len(c.ended) > 0 {
		lines = append(lines, fmt.Sprintf("%s after %s: %s.", ended(c.ended[0]), FormatDuration(longest(c.ended, now)), subject(c.ended, 300)))
	}
	return strings.Join(lines, "\n")
}

// changeText says how the regions changed between the last two recorded changes.
func changeText(evs []model.Event) string {
	prev, cur := regionDelta(evs)
	var added, removed []string
	for _, r := range cur {
		if !slices.Contains(prev, r) {
			added = append(added, "+"+regionLabel(r))
		}
	}
	for _, r := range prev {
		if !slices.Contains(cur, r) {
			removed = append(removed, "−"+regionLabel(r))
		}
	}
	var s string
	switch {
	case len(prev) == 0:
		s = "Now in " + plural(len(cur), "region") + "."
	case len(cur) >= len(prev):
		s = fmt.Sprintf("Widened from %s to %d: %s.", plural(len(prev), "region"), len(cur), fitList(append(added, removed...), "change", 400, ", "))
	default:
		s = fmt.Sprintf("Narrowed from %s to %d: %s.", plural(len(prev), "region"), len(cur), fitList(append(removed, added...), "change", 400, ", "))
	}
	if widest(evs) == model.ScopeGlobal {
		s += " Every region with data is affected now."
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// details lists each event of a group on its own line, packed into at most maxDetailSection
// sections of MaxSection runes; the lines that do not fit are summarised ("…and 23 more
// models"), with the incident page named for the full list.
func details(phase string, evs []model.Event, c changes, now time.Time, g notify.Group) []string {
	status := map[string]string{}
	if phase != model.PhaseUpdated {
		c = changes{}
	}
	all := regionsOf(evs)
	for _, e := range c.joined {
		status[e.ID] = "new"
	}
	for _, e := range c.changed {
		status[e.ID] = "now " + plural(len(e.Regions), "region")
	}
	for _, e := range c.ended {
		status[e.ID] = strings.ToLower(ended(e)) + " after " + FormatDuration(e.Duration(now))
	}
	lines := make([]string, 0, len(evs))
	for _, e := range evs {
		name := strings.TrimSpace(escape(truncate(e.Provider, 60)) + " " + code(truncate(e.Model, 100)))
		if e.Vantage != "" && e.Model == "" {
			name = code(truncate(e.Vantage, 100))
		}
		var at string
		if rs := regionsOf([]model.Event{e}); len(all) > 1 && len(rs) == len(all) {
			at = fmt.Sprintf("the %d regions above", len(all)) // the same set: say it once, in Where
		} else {
			at = where([]model.Event{e}, 200)
		}
		line := "• " + name + " — " + at
		if e.Signature != "" {
			line += " — " + code(truncate(e.Signature, 80))
		}
		switch s := status[e.ID]; {
		case s != "":
			line += " — " + s
		case phase == model.PhaseClosed:
			line += " — " + strings.ToLower(ended(e)) + " after " + FormatDuration(e.Duration(now))
		default:
			line += " — since " + e.StartedAt.Format(timeLayout)
		}
		lines = append(lines, line)
	}
	more := func(n int) string {
		s := "…and " + plural(n, "more model")
		if g.URL != "" {
			return s + ": <" + g.URL + "|every model on the incident page>"
		}
		return s + ": every model on the incident page, " + code(g.Path)
	}
	const reserve = 200 // room for the "…and N more models" line
	var out []string
	cur := ""
	add := func(line string, limit int) bool {
		if cur != "" && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(line) > limit {
			return false
		}
		if cur != "" {
			cur += "\n"
		}
		cur += line
		return true
	}
	limit := func(i int) int {
		if len(out) == maxDetailSection-1 && i < len(lines)-1 {
			return MaxSection - reserve
		}
		return MaxSection
	}
	for i, line := range lines {
		if add(line, limit(i)) {
			continue
		}
		if len(out) < maxDetailSection-1 {
			out, cur = append(out, cur), ""
			if add(line, limit(i)) {
				continue
			}
		}
		add(more(len(lines)-i), MaxSection)
		return append(out, cur)
	}
	return append(out, cur)
}

// sample shows the first event's sample answer as a code block.
func sample(evs []model.Event) string {
	for _, e := range evs {
		if e.Sample == "" {
			continue
		}
		s := strings.ReplaceAll(truncate(e.Sample, maxSample), "```", "'''")
		who := strings.TrimSpace(escape(truncate(e.Provider, 60)) + " " + code(truncate(cmp.Or(e.Model, e.Vantage), 100)))
		return fmt.Sprintf("*Sample answer* (%s):\n```%s```", who, escape(s))
	}
	return ""
}

// footer names the incident and links its page: the public URL when configured, else the path
// on the collector.
func footer(g notify.Group, evs []model.Event) string {
	n := 0
	for _, e := range evs {
		n += len(e.Evidence)
	}
	s := fmt.Sprintf("accesswatch · incident %s · %s · %s", code(truncate(g.IncidentID, 100)), escape(g.Phase), plural(len(evs), "event"))
	if n > 0 {
		s += " · evidence: " + plural(n, "result")
	}
	switch {
	case g.URL != "":
		s += " · <" + g.URL + "|incident page>"
	case g.Path != "":
		s += " · incident page: " + code(g.Path) + " on the collector"
	}
	return s
}
