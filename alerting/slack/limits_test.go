package slack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/model"
)

// thirty is 30 region names, most with a flag.
var thirty = []string{"argentina", "australia", "austria", "belgium", "brazil", "canada", "chile", "china",
	"colombia", "egypt", "europe", "finland", "france", "germany", "greece", "hong kong", "india", "indonesia",
	"iran", "ireland", "israel", "italy", "japan", "kenya", "korea", "malaysia", "mexico", "us", "antarctica", "moon-base"}

// large is the 10-model × 30-region incident: opened (10 models in 30 regions), updated (two
// models join, three widen from 20 to 30 regions, one is restored) and closed (all 12).
func large(phase, url string) notify.Group {
	g := notify.Group{IncidentID: "inc-big", Phase: phase, At: t0, URL: "", Path: notify.IncidentPath("inc-big")}
	if url != "" {
		g.URL = url + g.Path
	}
	ev := func(i int, regions []string) model.Event {
		e := revocation(fmt.Sprintf("ev-%02d", i), fmt.Sprintf("claude-model-%02d", i), regions...)
		e.IncidentID = "inc-big"
		return e
	}
	add := func(p string, seq int, e model.Event) {
		g.Updates = append(g.Updates, model.EventUpdate{Phase: p, Seq: seq, Event: e})
	}
	switch phase {
	case model.PhaseOpened:
		for i := range 10 {
			add(model.PhaseOpened, 1, ev(i, thirty))
		}
	case model.PhaseUpdated:
		e := ev(0, thirty)
		e.EndedAt, e.Outcome = at(time.Hour), model.EventRestored
		add(model.PhaseClosed, 3, e)
		for i := 1; i <= 3; i++ {
			e := ev(i, thirty)
			e.Changes = []model.EventChange{
				{At: t0, Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: thirty[:20]},
				{At: t0.Add(20 * time.Minute), Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: thirty},
			}
			add(model.PhaseUpdated, 2, e)
		}
		for i := 10; i <= 11; i++ {
			e := ev(i, thirty[:5])
			e.StartedAt = t0.Add(20 * time.Minute)
			add(model.PhaseOpened, 1, e)
		}
	case model.PhaseClosed:
		for i := range 12 {
			e := ev(i, thirty)
			e.EndedAt, e.Outcome = at(2*time.Hour), model.EventRestored
			add(model.PhaseClosed, 4, e)
		}
	}
	return g
}

// block is the part of a Block Kit block the limits concern.
type block struct {
	Type string
	Text *struct {
		Type, Text string
	}
	Fields []struct {
		Text string
	}
	Elements []struct {
		Type string
		Text json.RawMessage
		URL  string
	}
}

// checkLimits fails t for every Block Kit limit msg breaks, and returns the message's text.
func checkLimits(t *testing.T, msg Message) string {
	t.Helper()
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Text   string
		Blocks []block
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	n := utf8.RuneCountInString
	if len(v.Blocks) > MaxBlocks {
		t.Errorf("%d blocks, limit %d", len(v.Blocks), MaxBlocks)
	}
	if n(v.Text) > maxText {
		t.Errorf("fallback text %d chars", n(v.Text))
	}
	total := 0
	var all strings.Builder
	for _, bl := range v.Blocks {
		if bl.Text != nil {
			limit := MaxSection
			if bl.Type == "header" {
				limit = MaxHeader
				if bl.Text.Type != "plain_text" {
					t.Errorf("header of type %s", bl.Text.Type)
				}
			}
			if n(bl.Text.Text) > limit {
				t.Errorf("%s block text %d chars, limit %d", bl.Type, n(bl.Text.Text), limit)
			}
			if strings.Count(bl.Text.Text, "```")%2 != 0 {
				t.Errorf("unbalanced code block in %q", bl.Text.Text)
			}
			total += n(bl.Text.Text)
			all.WriteString(bl.Text.Text + "\n")
		}
		if len(bl.Fields) > MaxFields {
			t.Errorf("%d fields, limit %d", len(bl.Fields), MaxFields)
		}
		for _, f := range bl.Fields {
			if n(f.Text) > MaxField {
				t.Errorf("field %d chars, limit %d", n(f.Text), MaxField)
			}
			total += n(f.Text)
			all.WriteString(f.Text + "\n")
		}
		if bl.Type == "context" && len(bl.Elements) > MaxContext {
			t.Errorf("context has %d elements", len(bl.Elements))
		}
		for _, el := range bl.Elements {
			var txt struct{ Text string }
			_ = json.Unmarshal(el.Text, &txt)
			if bl.Type == "actions" && n(txt.Text) > MaxButton {
				t.Errorf("button text %d chars", n(txt.Text))
			}
			if n(el.URL) > MaxURL {
				t.Errorf("button url %d chars", n(el.URL))
			}
			if bl.Type == "context" && n(txt.Text) > MaxField {
				t.Errorf("context text %d chars", n(txt.Text))
			}
			total += n(txt.Text)
			all.WriteString(txt.Text + "\n")
		}
	}
	// Slack answers msg_blocks_too_long near 13,000 characters of block text.
	if total > 11000 {
		t.Errorf("%d characters of block text", total)
	}
	return all.String()
}

var moreModels = regexp.MustCompile(`…and (\d+) more models?`)

// TestBuildWithinLimitsAtAnySize builds messages of up to 300 models × 200 regions with long
// names in every phase: each stays within Block Kit's limits, and every model is either listed
// or counted in "…and N more models".
func TestBuildWithinLimitsAtAnySize(t *testing.T) {
	for _, models := range []int{1, 2, 10, 23, 60, 300} {
		for _, regions := range []int{1, 30, 200} {
			for _, long := range []bool{false, true} {
				for _, phase := range []string{model.PhaseOpened, model.PhaseUpdated, model.PhaseClosed, model.PhaseReminder} {
					name := fmt.Sprintf("%dx%d/long=%v/%s", models, regions, long, phase)
					t.Run(name, func(t *testing.T) {
						var rs []string
						for i := range regions {
							r := thirty[i%len(thirty)]
							if i >= len(thirty) || long {
								r = fmt.Sprintf("%s-%d%s", r, i, strings.Repeat("x", map[bool]int{true: 70}[long]))
							}
							rs = append(rs, r)
						}
						g := notify.Group{IncidentID: "inc-" + strings.Repeat("9", 40), Phase: phase, URL: "https://w.example.org/incidents/x", Path: "/incidents/x"}
						for i := range models {
							m := fmt.Sprintf("model-%03d", i)
							if long {
								m += strings.Repeat("-long<&>", 30)
							}
							e := revocation(fmt.Sprintf("ev-%03d", i), m, rs...)
							e.Reason = strings.Repeat("why ", 100)
							e.Signature = fmt.Sprintf("sig-%d", i%7) + strings.Repeat("s", map[bool]int{true: 200}[long])
							p := phase
							if phase == model.PhaseUpdated {
								p = []string{model.PhaseOpened, model.PhaseUpdated, model.PhaseClosed}[i%3]
							}
							if p == model.PhaseClosed {
								e.EndedAt, e.Outcome = at(time.Hour), model.EventRestored
							}
							g.Updates = append(g.Updates, model.EventUpdate{Phase: p, Seq: 1, Event: e})
						}
						text := checkLimits(t, Build(g, t0.Add(2*time.Hour)))
						if models < 2 {
							return
						}
						listed := strings.Count(text, "\n• ") + strings.Count(text, "• ") - strings.Count(text, "\n• ")
						more := 0
						if m := moreModels.FindStringSubmatch(text); m != nil {
							more, _ = strconv.Atoi(m[1])
						}
						if listed+more != models {
							t.Errorf("%d models listed + %d summarised, want %d", listed, more, models)
						}
					})
				}
			}
		}
	}
}

func TestFitList(t *testing.T) {
	items := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	for _, tt := range []struct {
		budget int
		want   string
	}{
		{100, "alpha, beta, gamma, delta, epsilon"},
		{34, "alpha, beta, gamma, delta, epsilon"},
		{33, "alpha, beta and 3 more models"},
		{28, "alpha and 4 more models"},
		{22, "5 models"},
		{3, "5 …"},
	} {
		if got := fitList(items, "model", tt.budget, ", "); got != tt.want {
			t.Errorf("fitList(budget %d) = %q, want %q", tt.budget, got, tt.want)
		}
	}
}
