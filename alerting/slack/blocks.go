package slack

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/model"
)

// summary is the main section's fields: what, where, when, signature, scope.
func summary(phase string, evs []model.Event, now time.Time) []*slack.TextBlockObject {
	c := condition(evs[0])
	_, _, _, what := describe(c)
	switch phase {
	case model.PhaseUpdated:
		what = changeText(evs)
	case model.PhaseClosed:
		done := "Recovered"
		switch {
		case c == model.EventRevoked:
			done = "Access restored"
		case c == model.EventDeprecation && evs[0].Kind == model.EventRetired:
			done = "Retired"
		case c == model.EventDeprecation:
			done = "Retirement withdrawn"
		}
		what = fmt.Sprintf("%s after %s.", done, FormatDuration(longest(evs, now)))
	case model.PhaseReminder:
		what = fmt.Sprintf("Still open after %s. %s", FormatDuration(longest(evs, now)), what)
	}
	fields := []*slack.TextBlockObject{
		mrkdwn("*What*\n" + escape(what)),
		mrkdwn("*Where*\n" + whereText(evs)),
		mrkdwn(whenText(phase, evs)),
	}
	if sigs := signatures(evs); sigs != "" {
		fields = append(fields, mrkdwn("*Signature*\n"+sigs))
	}
	if reasons := reasons(evs); reasons != "" {
		fields = append(fields, mrkdwn("*Reason*\n"+reasons))
	}
	scope := scopeText(widest(evs), c)
	if phase == model.PhaseClosed {
		scope = "at its widest, " + scope
	}
	fields = append(fields, mrkdwn("*Scope*\n"+escape(scope)))
	return fields
}

func whereText(evs []model.Event) string {
	w := escape(where(evs))
	if condition(evs[0]) != model.EventVantageFault {
		return w
	}
	var vs []string
	for _, e := range evs {
		vs = appendNew(vs, code(e.Vantage))
	}
	return "vantage " + strings.Join(vs, ", ") + " in " + w
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
			out = appendNew(out, code(e.Signature))
		}
	}
	return strings.Join(out, ", ")
}

func reasons(evs []model.Event) string {
	var out []string
	for _, e := range evs {
		if e.Reason != e.Signature { // "auth_failed" twice says nothing more
			out = appendNew(out, escape(e.Reason))
		}
	}
	return strings.Join(out, "; ")
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
	return cmp.Or(scope, "unknown")
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

// movement is how an update moved: "widened to every region", "narrowed to 2 regions", …
func movement(evs []model.Event) string {
	prev, cur := regionDelta(evs)
	switch {
	case widest(evs) == model.ScopeGlobal:
		return "widened to every region"
	case len(prev) == 0:
		return "now " + spread(evs)
	case len(cur) < len(prev):
		return "narrowed to " + plural(len(cur), "region")
	}
	return "widened to " + plural(len(cur), "region")
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
		s = fmt.Sprintf("Widened from %s to %d: %s.", plural(len(prev), "region"), len(cur), strings.Join(append(added, removed...), ", "))
	default:
		s = fmt.Sprintf("Narrowed from %s to %d: %s.", plural(len(prev), "region"), len(cur), strings.Join(append(removed, added...), ", "))
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

// details lists each event of a group on its own line.
func details(phase string, evs []model.Event, now time.Time) string {
	var b strings.Builder
	for i, e := range evs {
		if i == maxDetailRows {
			fmt.Fprintf(&b, "…and %d more", len(evs)-i)
			break
		}
		name := strings.TrimSpace(escape(e.Provider) + " " + code(e.Model))
		if e.Vantage != "" && e.Model == "" {
			name = code(e.Vantage)
		}
		fmt.Fprintf(&b, "• %s — %s", name, escape(where([]model.Event{e})))
		if e.Signature != "" {
			b.WriteString(" — " + code(e.Signature))
		}
		if phase == model.PhaseClosed {
			fmt.Fprintf(&b, " — %s after %s\n", e.Kind, FormatDuration(e.Duration(now)))
		} else {
			b.WriteString(" — since " + e.StartedAt.Format(timeLayout) + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sample shows the first event's sample answer as a code block.
func sample(evs []model.Event) string {
	for _, e := range evs {
		if e.Sample == "" {
			continue
		}
		s := strings.ReplaceAll(truncate(e.Sample, maxSample), "```", "'''")
		who := strings.TrimSpace(escape(e.Provider) + " " + code(cmp.Or(e.Model, e.Vantage)))
		return fmt.Sprintf("*Sample answer* (%s):\n```%s```", who, escape(s))
	}
	return ""
}

func footer(g notify.Group, evs []model.Event) string {
	n := 0
	for _, e := range evs {
		n += len(e.Evidence)
	}
	s := fmt.Sprintf("accesswatch · incident %s · %s · %s", code(g.IncidentID), escape(g.Phase), plural(len(evs), "event"))
	if n > 0 {
		s += " · evidence: " + plural(n, "result")
	}
	return s
}
