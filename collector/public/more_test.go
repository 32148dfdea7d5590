package public

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// statuspageSummary mirrors the documented Statuspage v2 summary.json schema; decoding is strict.
type statuspageSummary struct {
	Page struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		URL       string    `json:"url"`
		TimeZone  string    `json:"time_zone"`
		UpdatedAt time.Time `json:"updated_at"`
	} `json:"page"`
	Status struct {
		Indicator   string `json:"indicator"`
		Description string `json:"description"`
	} `json:"status"`
	Components []struct {
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
		Components         []string  `json:"components"`
	} `json:"components"`
	Incidents             []json.RawMessage `json:"incidents"`
	ScheduledMaintenances []json.RawMessage `json:"scheduled_maintenances"`
}

func TestSummarySchema(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	r := do(t, s.Handler(), http.MethodGet, "/api/v2/summary.json", nil)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var sum statuspageSummary
	if err := dec.Decode(&sum); err != nil {
		t.Fatal(err)
	}
	if sum.Page.ID == "" || sum.Page.Name != "accesswatch" || sum.Page.TimeZone != "Etc/UTC" || sum.Page.UpdatedAt.IsZero() {
		t.Errorf("page = %+v", sum.Page)
	}
	if sum.Status.Indicator != "major" {
		t.Errorf("indicator = %q, want major (one region revoked, others fine)", sum.Status.Indicator)
	}
	if sum.Incidents == nil || sum.ScheduledMaintenances == nil {
		t.Error("incidents and scheduled_maintenances must be arrays, not null")
	}
	valid := map[string]bool{"operational": true, "degraded_performance": true, "partial_outage": true, "major_outage": true}
	byID := map[string]int{}
	for i, c := range sum.Components {
		byID[c.ID] = i
		if !valid[c.Status] || c.ID == "" || c.Name == "" || c.PageID != sum.Page.ID || c.CreatedAt.IsZero() || c.Position != i+1 {
			t.Errorf("component %d invalid: %+v", i, c)
		}
	}
	want := map[string]string{ // name → status
		"anthropic claude-sonnet-4":    "partial_outage",
		"claude-sonnet-4 europe":       "operational",
		"claude-sonnet-4 india":        "major_outage",
		"gemini models/gemini-2.5-pro": "degraded_performance",
		"models/gemini-2.5-pro us":     "degraded_performance",
		"openai gpt<&>":                "partial_outage", // brazil down, japan degraded
		"gpt<&> brazil":                "major_outage",
		"gpt<&> japan":                 "degraded_performance",
	}
	if len(sum.Components) != len(want) {
		t.Fatalf("%d components, want %d", len(sum.Components), len(want))
	}
	for _, c := range sum.Components {
		if want[c.Name] != c.Status {
			t.Errorf("%s: status %q, want %q", c.Name, c.Status, want[c.Name])
		}
		if c.Group {
			if c.GroupID != nil || len(c.Components) == 0 {
				t.Errorf("group %s: group_id %v, members %v", c.Name, c.GroupID, c.Components)
			}
			for _, m := range c.Components {
				if i, ok := byID[m]; !ok || sum.Components[i].GroupID == nil || *sum.Components[i].GroupID != c.ID {
					t.Errorf("group %s lists %s which does not point back", c.Name, m)
				}
			}
		} else if c.GroupID == nil {
			t.Errorf("%s has no group", c.Name)
		}
	}
	india := sum.Components[byID[stableID("component", "anthropic", "claude-sonnet-4", "india")]]
	if !strings.Contains(*india.Description, "revoked in india") {
		t.Errorf("india description = %q", *india.Description)
	}
	group := sum.Components[byID[stableID("group", "anthropic", "claude-sonnet-4")]]
	if !strings.Contains(*group.Description, "vendor: Claude API operational") {
		t.Errorf("group description lacks the vendor claim: %q", *group.Description)
	}
}

func TestPageStatus(t *testing.T) {
	for _, c := range []struct {
		name   string
		counts map[string]int
		want   string
	}{
		{"empty", map[string]int{}, "none"},
		{"all fine", map[string]int{spOperational: 3}, "none"},
		{"degraded", map[string]int{spOperational: 3, spDegraded: 1}, "minor"},
		{"regional", map[string]int{spOperational: 3, spMajor: 1}, "major"},
		{"everything out", map[string]int{spMajor: 4}, "critical"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := pageStatus(c.counts).Indicator; got != c.want {
				t.Errorf("indicator = %q, want %q", got, c.want)
			}
		})
	}
}

func TestSVGBadgesAreValid(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	snap := s.snap.Load()
	n := 0
	check := func(name string, svg []byte) {
		t.Run(name, func(t *testing.T) {
			dec := xml.NewDecoder(bytes.NewReader(svg))
			var root string
			var title strings.Builder
			inTitle, titles := false, 0
			for {
				tok, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v\n%s", err, svg)
				}
				switch tk := tok.(type) {
				case xml.StartElement:
					if root == "" {
						root = tk.Name.Local
						if tk.Name.Space != "http://www.w3.org/2000/svg" {
							t.Errorf("root namespace %q", tk.Name.Space)
						}
					}
					if tk.Name.Local == "title" {
						inTitle = true
						titles++
					}
				case xml.EndElement:
					inTitle = inTitle && tk.Name.Local != "title"
				case xml.CharData:
					if inTitle {
						title.Write(tk)
					}
				}
			}
			if root != "svg" || titles != 1 || !strings.Contains(title.String(), ": ") {
				t.Errorf("root %q, %d titles, title %q", root, titles, title.String())
			}
		})
	}
	for k, e := range snap.badges {
		if !k.json {
			n++
			check(k.provider+"/"+k.model+"/"+k.region+"/"+k.window, e.body)
		}
	}
	check("not found", s.static.notFoundSVG.body)
	if n != 5*4 {
		t.Errorf("%d SVG badges, want 20 (5 targets × state + 3 windows)", n)
	}
	esc := string(snap.badges[badgeKey{provider: "openai", model: "gpt<&>", region: "brazil"}].body)
	if !strings.Contains(esc, "gpt&lt;&amp;&gt; brazil") || strings.Contains(esc, "gpt<&>") {
		t.Error("names are not XML-escaped")
	}
}

func TestBadgeWidthGrowsWithText(t *testing.T) {
	short, long := textWidth("up"), textWidth("claude-sonnet-4-20250514 europe")
	if short <= 0 || long <= short*5 {
		t.Errorf("widths short=%d long=%d", short, long)
	}
	if textWidth("WWW") <= textWidth("iii") {
		t.Error("wide letters are not wider than narrow ones")
	}
}

func TestUptimeMath(t *testing.T) {
	for _, c := range []struct {
		ok, total int64
		want      string
	}{
		{1440, 1440, "100%"},
		{9995, 10000, "99.95%"},
		{99999, 100000, "99.99%"}, // rounded down: never 100% with a failure
		{995, 1000, "99.5%"},
		{1, 3, "33.33%"},
		{0, 10, "0%"},
		{12, 10, "100%"}, // a source over-counting ok cannot exceed 100%
		{101, 10000, "1.01%"},
	} {
		t.Run(c.want, func(t *testing.T) {
			if got := formatPercent(percentBP(c.ok, c.total)); got != c.want {
				t.Errorf("%d/%d = %q, want %q", c.ok, c.total, got, c.want)
			}
		})
	}
	if percentBP(5, 0) != 0 {
		t.Error("no data is not 0")
	}
}

func TestUptimeAPIWindows(t *testing.T) {
	s, src := newTestServer(t, Options{})
	if src.calls != 5*len(uptimeWindows) {
		t.Errorf("%d uptime queries, want %d", src.calls, 5*len(uptimeWindows))
	}
	for _, c := range []struct {
		window  string
		ok      int64
		percent float64
		from    time.Time
	}{
		{"24h", 1440, 100, testNow.Add(-24 * time.Hour)},
		{"7d", 9995, 99.95, testNow.Add(-7 * 24 * time.Hour)},
		{"30d", 99999, 99.999, testNow.Add(-30 * 24 * time.Hour)},
		{"90d", 95, 95, testNow.Add(-90 * 24 * time.Hour)},
	} {
		t.Run(c.window, func(t *testing.T) {
			r := do(t, s.Handler(), http.MethodGet, "/api/v1/uptime?provider=anthropic&model=claude-sonnet-4&region=europe&window="+c.window, nil)
			var u uptimeJSON
			if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
				t.Fatal(err)
			}
			if u.OK != c.ok || u.UptimePercent == nil || *u.UptimePercent != c.percent || !u.From.Equal(c.from) || !u.To.Equal(testNow) {
				t.Errorf("got %+v (percent %v)", u, u.UptimePercent)
			}
		})
	}
	r := do(t, s.Handler(), http.MethodGet, "/api/v1/uptime?provider=gemini&model=models/gemini-2.5-pro&region=us", nil)
	var u uptimeJSON
	if err := json.NewDecoder(r.Body).Decode(&u); err != nil || u.UptimePercent != nil || u.Total != 0 {
		t.Errorf("no data: %+v, %v", u, err)
	}
}

func FuzzBadgePath(f *testing.F) {
	s, _ := newTestServer(f, Options{})
	for _, p := range []string{"anthropic/claude-sonnet-4/europe.svg", "a/b/uptime/24h.json", "/uptime/.svg", "a//b/.svg", "x.json", ""} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		e := s.badgeAnswer(s.snap.Load(), rest)
		if e == nil || (e.status != http.StatusOK && e.status != http.StatusNotFound) {
			t.Fatalf("badgeAnswer(%q) = %+v", rest, e)
		}
	})
}

func TestNewWithoutRebuildServes(t *testing.T) {
	s := New(Options{Source: testSource(time.Now)})
	r := do(t, s.Handler(), http.MethodGet, "/badge/anthropic/claude-sonnet-4/europe.svg", nil)
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d before the first rebuild", r.StatusCode)
	}
}
