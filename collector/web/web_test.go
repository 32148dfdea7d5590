package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

var clock = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

type fakeSource struct {
	status  []model.TargetStatus
	events  []model.Event
	daily   []DayStat
	results []model.Result
	claims  []model.Claim
	err     error // returned by the context-taking calls
	queries []EventQuery
}

func (f *fakeSource) Status() []model.TargetStatus { return f.status }

func (f *fakeSource) Events(_ context.Context, q EventQuery) ([]model.Event, error) {
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	var out []model.Event
	for _, e := range f.events {
		switch {
		case q.ID != "" && e.ID != q.ID:
		case q.IncidentID != "" && e.IncidentID != q.IncidentID:
		case !q.Since.IsZero() && e.EndedAt != nil && e.EndedAt.Before(q.Since):
		default:
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeSource) Daily(_ context.Context, since time.Time) ([]DayStat, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []DayStat
	for _, d := range f.daily {
		if !d.Day.Before(since) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeSource) ResultsByID(_ context.Context, ids []string) ([]model.Result, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []model.Result
	for _, r := range f.results {
		if slices.Contains(ids, r.ID) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeSource) Claims(context.Context) ([]model.Claim, error) { return f.claims, f.err }

func ptr[T any](v T) *T { return &v }

// fixture: anthropic revoked in three regions since 09:12, openai fine, one resolved outage.
func fixture() *fakeSource {
	since := time.Date(2026, 11, 28, 9, 12, 0, 0, time.UTC)
	checked := clock.Add(-time.Minute)
	st := func(p, m, reg string, s model.State, sig string) model.TargetStatus {
		return model.TargetStatus{Provider: p, Model: m, Region: reg, State: s, Since: since, Signature: sig, LastChecked: checked, Vantages: 2}
	}
	f := &fakeSource{
		status: []model.TargetStatus{
			st("anthropic", "claude-sonnet-4", "india", model.StateRevoked, "http:403:geo_blocked"),
			st("anthropic", "claude-sonnet-4", "australia", model.StateRevoked, "http:403:geo_blocked"),
			st("anthropic", "claude-sonnet-4", "europe", model.StateRevoked, "http:403:geo_blocked"),
			st("anthropic", "claude-sonnet-4", "us", model.StateAvailable, ""),
			st("openai", "gpt-4o", "india", model.StateAvailable, ""),
			st("openai", "gpt-4o", "us", model.StateDegraded, "http:529:overloaded"),
		},
		claims: []model.Claim{{Provider: "anthropic", Component: "Claude API (api.anthropic.com)", Status: model.ClaimOperational,
			CheckedAt: clock.Add(-2 * time.Minute)}},
		events: []model.Event{
			{ID: "ev-rev", Kind: model.EventRevoked, Condition: model.EventRevoked, Scope: model.ScopeRegional, IncidentID: "inc-1",
				Provider: "anthropic", Model: "claude-sonnet-4", Regions: []string{"india", "australia", "europe"},
				StartedAt: since, UpdatedAt: since, Signature: "http:403:geo_blocked",
				Sample:   `{"error":{"type":"forbidden","message":"<script>alert(1)</script> Request not allowed"}}`,
				Evidence: []string{"r1", "r2", "r3"}},
			{ID: "ev-out", Kind: model.EventOutage, Condition: model.EventOutage, Outcome: model.EventRecovered, Scope: model.ScopeGlobal, IncidentID: "inc-0",
				Provider: "openai", Model: "gpt-4o", Regions: []string{"india", "us"},
				StartedAt: clock.Add(-50 * time.Hour), EndedAt: ptr(clock.Add(-48 * time.Hour)), Signature: "timeout"},
		},
		results: []model.Result{
			{ID: "r1", Time: since, Vantage: "in-mum-1", Region: "india", Provider: "anthropic", Model: "claude-sonnet-4",
				HTTPStatus: 403, Classification: model.Classification{Class: model.ClassGeoBlocked}, RequestID: "req_011CAbc", EdgeColo: "BOM"},
			{ID: "r2", Time: since.Add(time.Minute), Vantage: "au-syd-1", Region: "australia", Provider: "anthropic", Model: "claude-sonnet-4",
				HTTPStatus: 403, Classification: model.Classification{Class: model.ClassGeoBlocked}, RequestID: "req_011CDef", EdgeColo: "SYD"},
			{ID: "r3", Time: since.Add(2 * time.Minute), Vantage: "eu-fra-1", Region: "europe", Provider: "anthropic", Model: "claude-sonnet-4",
				HTTPStatus: 403, Classification: model.Classification{Class: model.ClassGeoBlocked}, RequestID: "req_011CGhi", EdgeColo: "FRA"},
		},
	}
	for i := range 30 {
		day := clock.AddDate(0, 0, -i)
		day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		worst := model.StateAvailable
		ok := int64(100)
		if i == 0 {
			worst, ok = model.StateRevoked, 40
		}
		f.daily = append(f.daily, DayStat{Provider: "anthropic", Model: "claude-sonnet-4", Region: "india", Day: day, OK: ok, Total: 100, Worst: worst})
	}
	return f
}

func newHandler(src Source) http.Handler {
	return New(Options{Source: src, Title: "accesswatch", Logger: slog.New(slog.DiscardHandler), FrameAncestors: []string{"'self'", "https://status.example.org"},
		Now: func() time.Time { return clock }})
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func TestMatrixCells(t *testing.T) {
	src := fixture()
	rec := get(t, newHandler(src), "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	cellRE := regexp.MustCompile(`<td class="s-(\w+)" data-provider="([^"]*)" data-model="([^"]*)" data-region="([^"]*)" data-state="(\w+)"[^>]*>(.*?)</td>`)
	cells := map[string][]string{}
	for _, m := range cellRE.FindAllStringSubmatch(body, -1) {
		cells[m[2]+"/"+m[3]+"/"+m[4]] = m[1:]
	}
	if len(cells) != len(src.status) {
		t.Fatalf("got %d cells, want %d", len(cells), len(src.status))
	}
	for _, st := range src.status {
		t.Run(st.Provider+"/"+st.Model+"/"+st.Region, func(t *testing.T) {
			c, ok := cells[st.Provider+"/"+st.Model+"/"+st.Region]
			if !ok {
				t.Fatal("no cell")
			}
			if c[4] != string(st.State) || c[0] != string(st.State) {
				t.Errorf("data-state %q class %q, want %q", c[4], c[0], st.State)
			}
			text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(c[5], "")
			if want := stateSymbol(st.State) + " " + string(st.State); text != want {
				t.Errorf("cell text %q, want %q", text, want)
			}
		})
	}
	// anthropic has no region missing; openai lacks australia and europe: two "not watched" cells.
	if n := strings.Count(body, "not watched"); n != 2 {
		t.Errorf("%d empty cells, want 2", n)
	}
	for _, want := range []string{`<table id="matrix">`, `<caption`, `<th scope="col">india</th>`, `<html lang="en">`, `<main id="main">`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestHistoryBar(t *testing.T) {
	body := get(t, newHandler(fixture()), "/").Body.String()
	barRE := regexp.MustCompile(`(?s)<ol class="bar" data-provider="anthropic" data-model="claude-sonnet-4" data-region="india".*?</ol>`)
	bar := barRE.FindString(body)
	if bar == "" {
		t.Fatal("no history bar for anthropic/claude-sonnet-4/india")
	}
	days := regexp.MustCompile(`<li class="d-(\w+)" data-day="([0-9-]+)" title="([^"]*)"`).FindAllStringSubmatch(bar, -1)
	if len(days) != 90 {
		t.Fatalf("%d days, want 90", len(days))
	}
	first, last := days[0], days[89]
	if first[2] != "2026-08-31" || last[2] != "2026-11-28" {
		t.Errorf("days run %s to %s, want 2026-08-31 to 2026-11-28", first[2], last[2])
	}
	if first[1] != "none" || !strings.Contains(first[3], "no data") {
		t.Errorf("oldest day %v, want grey with no data", first[1:])
	}
	if last[1] != "revoked" || !strings.Contains(last[3], "40.00% available") || !strings.Contains(last[3], "worst state revoked") {
		t.Errorf("today %v, want revoked at 40%%", last[1:])
	}
	if n := strings.Count(body, `<ol class="bar"`); n != 6 {
		t.Errorf("%d bars, want one per target (6)", n)
	}
}

func TestTimelineAndClaims(t *testing.T) {
	body := get(t, newHandler(fixture()), "/").Body.String()
	i1, i0 := strings.Index(body, `data-incident="inc-1"`), strings.Index(body, `data-incident="inc-0"`)
	if i1 < 0 || i0 < 0 || i1 > i0 {
		t.Errorf("incidents not newest first: inc-1 at %d, inc-0 at %d", i1, i0)
	}
	for _, want := range []string{
		`href="/incidents/inc-1"`, "india, australia, europe", "http:403:geo_blocked", "2h 0m", "2h 48m so far", "outage (global) of openai / gpt-4o; recovered", "ongoing",
		"vendor: operational; observed: revoked in australia, europe, india since 09:12 UTC",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestEscapesHostileSample(t *testing.T) {
	src := fixture()
	src.status[0].Signature = `"><script>alert(2)</script>`
	for _, path := range []string{"/", "/incidents/inc-1", "/fragment/incidents"} {
		t.Run(path, func(t *testing.T) {
			body := get(t, newHandler(src), path).Body.String()
			if strings.Contains(body, "<script>") {
				t.Errorf("raw <script> in output")
			}
			if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("escaped sample missing")
			}
		})
	}
}

func TestIncidentPage(t *testing.T) {
	h := newHandler(fixture())
	for _, id := range []string{"inc-1", "ev-rev"} {
		t.Run(id, func(t *testing.T) {
			rec := get(t, h, "/incidents/"+id)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.String()
			regions := regexp.MustCompile(`<li data-region="(\w+)">`).FindAllStringSubmatch(body, -1)
			var got []string
			for _, m := range regions {
				got = append(got, m[1])
			}
			if want := []string{"australia", "europe", "india"}; !slices.Equal(got, want) {
				t.Errorf("regions %v, want %v", got, want)
			}
			for _, want := range []string{
				`<ul id="regions">`, `data-vantage="in-mum-1"`, `data-vantage="au-syd-1"`, `data-vantage="eu-fra-1"`,
				"req_011CAbc", "req_011CDef", "req_011CGhi", "BOM", "geo_blocked",
				"first <time datetime=\"2026-11-28T09:12:00Z\">",
				`/api/v1/results/export?format=csv&amp;from=2026-11-28T08%3A12%3A00Z&amp;model=claude-sonnet-4&amp;provider=anthropic&amp;to=2026-11-28T13%3A00%3A00Z`,
				`/api/v1/results?model=claude-sonnet-4&amp;provider=anthropic`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("incident page lacks %q", want)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	h := newHandler(fixture())
	for _, path := range []string{"/incidents/nope", "/embed/anthropic/gpt-4o", "/embed/nobody/x", "/static/nope.css", "/nowhere"} {
		t.Run(path, func(t *testing.T) {
			rec := get(t, h, path)
			if rec.Code != http.StatusNotFound {
				t.Errorf("status %d, want 404", rec.Code)
			}
			if !strings.Contains(rec.Body.String(), "<h1>Not found</h1>") {
				t.Errorf("no 404 page")
			}
		})
	}
}

func TestEmbed(t *testing.T) {
	rec := get(t, newHandler(fixture()), "/embed/anthropic/claude-sonnet-4")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	cspHeader := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(cspHeader, "frame-ancestors 'self' https://status.example.org") {
		t.Errorf("CSP %q lacks the configured frame-ancestors", cspHeader)
	}
	if xfo := rec.Header().Get("X-Frame-Options"); xfo != "" {
		t.Errorf("X-Frame-Options %q forbids framing", xfo)
	}
	body := rec.Body.String()
	if n := strings.Count(body, `<li class="s-`); n != 4 {
		t.Errorf("%d region lines, want 4", n)
	}
	for _, want := range []string{`data-region="india" data-state="revoked"`, "✕</span> revoked", "Last checked", `data-fragment="/fragment/embed/anthropic/claude-sonnet-4"`} {
		if !strings.Contains(body, want) {
			t.Errorf("widget lacks %q", want)
		}
	}
	if def := get(t, New(Options{Source: fixture(), Now: func() time.Time { return clock }}), "/embed/anthropic/claude-sonnet-4"); !strings.Contains(def.Header().Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Errorf("default CSP %q", def.Header().Get("Content-Security-Policy"))
	}
	if c := get(t, newHandler(fixture()), "/").Header().Get("Content-Security-Policy"); strings.Contains(c, "status.example.org") {
		t.Errorf("the main page may be framed by others: %q", c)
	}
}

func TestCaching(t *testing.T) {
	h := newHandler(fixture())
	for _, path := range []string{"/", "/fragment/matrix", "/fragment/incidents", "/incidents/inc-1", "/static/style.css", "/static/refresh.js"} {
		t.Run(path, func(t *testing.T) {
			rec := get(t, h, path)
			etag := rec.Header().Get("ETag")
			if rec.Code != http.StatusOK || etag == "" || rec.Header().Get("Cache-Control") != "no-cache" {
				t.Fatalf("status %d etag %q cache-control %q", rec.Code, etag, rec.Header().Get("Cache-Control"))
			}
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("If-None-Match", etag)
			rec2 := httptest.NewRecorder()
			h.ServeHTTP(rec2, req)
			if rec2.Code != http.StatusNotModified || rec2.Body.Len() != 0 {
				t.Errorf("revalidation: status %d, %d bytes", rec2.Code, rec2.Body.Len())
			}
		})
	}
}

func TestSourceErrorsDegrade(t *testing.T) {
	src := fixture()
	src.err = errors.New("database is locked")
	rec := get(t, newHandler(src), "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{`data-state="revoked"`, "history is unavailable", "timeline is unavailable"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "database is locked") {
		t.Error("internal error text leaks to the page")
	}
	if rec := get(t, newHandler(src), "/incidents/inc-1"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("incident page with a failing store: %d, want 503", rec.Code)
	}
}

func TestGolden(t *testing.T) {
	h := newHandler(fixture())
	for _, tc := range []struct{ name, path string }{
		{"index.html", "/"},
		{"incident.html", "/incidents/inc-1"},
		{"embed.html", "/embed/anthropic/claude-sonnet-4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, h, tc.path).Body.Bytes()
			file := filepath.Join("testdata", tc.name)
			testkit.Golden(t, file, got)
		})
	}
}

func TestMethods(t *testing.T) {
	h := newHandler(fixture())
	for _, tc := range []struct {
		method, path string
		want         int
		body         bool
	}{
		{http.MethodHead, "/", http.StatusOK, false},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, true},
		{http.MethodGet, "/static/style.css", http.StatusOK, true},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.want || (rec.Body.Len() > 0) != tc.body {
				t.Errorf("status %d with %d bytes, want %d (body %v)", rec.Code, rec.Body.Len(), tc.want, tc.body)
			}
		})
	}
	if ct := get(t, h, "/static/refresh.js").Header().Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("refresh.js content type %q", ct)
	}
}
