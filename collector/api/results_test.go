package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
)

type page struct {
	Results []model.Result `json:"results"`
	Next    string         `json:"next"`
}

func decodePage(t *testing.T, body []byte) page {
	t.Helper()
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if p.Results == nil {
		t.Fatalf("results is not a JSON array: %s", body)
	}
	return p
}

func pageIDs(p page) []string {
	out := []string{}
	for _, r := range p.Results {
		out = append(out, r.ID)
	}
	return out
}

func TestResults(t *testing.T) {
	rs := dataset()
	id := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, rs[i].ID)
		}
		return out
	}
	tests := []struct {
		name     string
		query    string
		wantIDs  []string
		wantNext string
	}{
		{"all", "", id(0, 1, 2, 3, 4, 5), ""},
		{"provider", "provider=anthropic", id(0, 2, 4), ""},
		{"provider and region", "provider=anthropic&region=in", id(0, 4), ""},
		{"model", "model=openai-m", id(1, 3, 5), ""},
		{"vantage", "vantage=de-1", id(3), ""},
		{"class", "class=ok", id(1, 2, 4, 5), ""},
		{"relative since", "since=15m", id(0, 1, 2, 3), ""},
		{"relative since in days", "since=1d", id(0, 1, 2, 3, 4, 5), ""},
		{"rfc3339 until is exclusive", "until=2026-03-01T11:58:00Z", id(3, 4, 5), ""},
		{"window", "since=30m&until=1m", id(2, 3, 4), ""},
		{"full page has next", "limit=2", id(0, 1), rs[1].ID},
		{"cursor", "limit=2&before=" + rs[1].ID, id(2, 3), rs[3].ID},
		{"short last page", "limit=4&before=" + rs[3].ID, id(4, 5), ""},
		{"nothing matches", "provider=mistral", id(), ""},
	}
	e := newEnv(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, nil, "GET", "/api/v1/results?"+tt.query, nil)
			if r.status != 200 {
				t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
			}
			p := decodePage(t, r.body)
			if !slices.Equal(pageIDs(p), tt.wantIDs) {
				t.Errorf("ids = %v, want %v", pageIDs(p), tt.wantIDs)
			}
			if p.Next != tt.wantNext {
				t.Errorf("next = %q, want %q", p.Next, tt.wantNext)
			}
		})
	}
}

func TestResultsGolden(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, nil, "GET", "/api/v1/results?provider=openai&limit=2", nil)
	if r.status != 200 {
		t.Fatalf("status = %d", r.status)
	}
	golden(t, "results.golden.json", r.body)
}

func TestResultsPagination(t *testing.T) {
	e := newEnv(t, nil)
	var got []string
	q := url.Values{"limit": {"4"}}
	for range 10 { // bounded: 6 results in pages of 4 take two requests
		r := e.do(t, nil, "GET", "/api/v1/results?"+q.Encode(), nil)
		p := decodePage(t, r.body)
		got = append(got, pageIDs(p)...)
		if p.Next == "" {
			break
		}
		q.Set("before", p.Next)
	}
	want := []string{}
	for _, r := range dataset() {
		want = append(want, r.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged ids = %v, want %v", got, want)
	}
}

func TestResultsBadParams(t *testing.T) {
	tests := []struct {
		query, wantErr string
	}{
		{"since=x", `since: want RFC 3339 time or a duration like 15m, got "x"`},
		{"until=-5m", `until: want RFC 3339 time or a duration like 15m, got "-5m"`},
		{"since=2026-13-01T00:00:00Z", `since: want RFC 3339 time or a duration like 15m, got "2026-13-01T00:00:00Z"`},
		{"since=1h&until=2h", `since: must be before until`},
		{"limit=0", `limit: want an integer from 1 to 10000, got "0"`},
		{"limit=10001", `limit: want an integer from 1 to 10000, got "10001"`},
		{"limit=ten", `limit: want an integer from 1 to 10000, got "ten"`},
		{"class=blocked", `class: unknown class "blocked"`},
		{"regoin=in", `unknown parameter "regoin"`},
		{"provider=a&provider=b", `provider: given more than once`},
	}
	e := newEnv(t, nil)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do(t, nil, "GET", "/api/v1/results?"+tt.query, nil)
			if r.status != 400 {
				t.Errorf("status = %d, want 400", r.status)
			}
			var body struct{ Error string }
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Error != tt.wantErr {
				t.Errorf("error = %q, want %q", body.Error, tt.wantErr)
			}
		})
	}
}

// recordingQuerier remembers the filter it was asked for and answers with err.
type recordingQuerier struct {
	got store.Filter
	err error
}

func (q *recordingQuerier) Query(_ context.Context, f store.Filter) ([]model.Result, error) {
	q.got = f
	return nil, q.err
}

func TestResultsFilterPassedToStore(t *testing.T) {
	q := &recordingQuerier{}
	e := newEnv(t, func(o *Options) { o.Store = q })
	r := e.do(t, nil, "GET", "/api/v1/results?provider=p&model=m&region=r&vantage=v&class=timeout"+
		"&since=15m&until=2026-03-01T12:59:30.5%2B01:00&before=abc", nil)
	if r.status != 200 {
		t.Fatalf("status = %d; %s", r.status, r.body)
	}
	wantJSON(t, r.body, `{"results":[],"next":""}`)
	want := store.Filter{Provider: "p", Model: "m", Region: "r", Vantage: "v", Class: "timeout",
		Since: now.Add(-15 * time.Minute), Until: time.Date(2026, 3, 1, 11, 59, 30, 5e8, time.UTC),
		Limit: store.DefaultLimit, Before: "abc"}
	if !q.got.Since.Equal(want.Since) || !q.got.Until.Equal(want.Until) {
		t.Errorf("since/until = %v/%v, want %v/%v", q.got.Since, q.got.Until, want.Since, want.Until)
	}
	q.got.Since, q.got.Until, want.Since, want.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if q.got != want {
		t.Errorf("filter = %+v, want %+v", q.got, want)
	}
}

func TestResultsStoreFailures(t *testing.T) {
	tests := []struct {
		name       string
		store      Querier
		wantStatus int
		wantBody   string
	}{
		{"query error", &recordingQuerier{err: errors.New("disk I/O error")}, 500, `{"error":"query failed"}`},
		{"no store", nil, 503, `{"error":"no result store configured"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.Store = tt.store })
			r := e.do(t, nil, "GET", "/api/v1/results", nil)
			if r.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", r.status, tt.wantStatus)
			}
			wantJSON(t, r.body, tt.wantBody)
		})
	}
}
