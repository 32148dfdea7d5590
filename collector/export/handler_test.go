package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
)

var now = base.Add(48 * time.Hour)

func fixedNow() time.Time { return now }

func TestParseFilter(t *testing.T) {
	tests := []struct {
		name, query string
		want        store.Filter
		format      string
		badParam    string
	}{
		{"defaults", "", store.Filter{Since: now.Add(-24 * time.Hour)}, "csv", ""},
		{"all fields", "provider=anthropic&model=claude-x&region=in&vantage=in-mum-1&class=geo_blocked&format=jsonl",
			store.Filter{Provider: "anthropic", Model: "claude-x", Region: "in", Vantage: "in-mum-1",
				Class: "geo_blocked", Since: now.Add(-24 * time.Hour)}, "jsonl", ""},
		{"days", "from=30d", store.Filter{Since: now.Add(-30 * 24 * time.Hour)}, "csv", ""},
		{"durations", "from=24h&to=90m", store.Filter{Since: now.Add(-24 * time.Hour), Until: now.Add(-90 * time.Minute)}, "csv", ""},
		{"rfc3339", "from=2026-02-01T00:00:00Z&to=2026-03-01T10:30:00.5%2B01:00",
			store.Filter{Since: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
				Until: time.Date(2026, 3, 1, 9, 30, 0, 5e8, time.UTC)}, "csv", ""},
		{"bad from", "from=yesterday", store.Filter{}, "", "from"},
		{"negative duration", "from=-5h", store.Filter{}, "", "from"},
		{"zero days", "from=0d", store.Filter{}, "", "from"},
		{"bad to", "to=2026-13-01", store.Filter{}, "", "to"},
		{"to before from", "from=1h&to=2h", store.Filter{}, "", "to"},
		{"bad format", "format=xlsx", store.Filter{}, "", "format"},
		{"bad class", "class=teapot", store.Filter{}, "", "class"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			f, format, err := ParseFilter(q, now)
			if tt.badParam != "" {
				var pe *ParamError
				if !errors.As(err, &pe) || pe.Param != tt.badParam {
					t.Fatalf("error = %v, want a ParamError for %q", err, tt.badParam)
				}
				return
			}
			if err != nil || format != tt.format || !f.Since.Equal(tt.want.Since) || !f.Until.Equal(tt.want.Until) {
				t.Fatalf("ParseFilter = %+v, %q, %v; want %+v, %q", f, format, err, tt.want, tt.format)
			}
			f.Since, f.Until, tt.want.Since, tt.want.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if f != tt.want {
				t.Errorf("ParseFilter = %+v, want %+v", f, tt.want)
			}
		})
	}
}

// fakeSource yields n sample results; it records the filter and fails with err (before
// any result when failAt is 0, else after failAt results).
type fakeSource struct {
	n      int
	got    store.Filter
	err    error
	failAt int
	before func(i int) error // called before result i; may block
}

func (s *fakeSource) Export(ctx context.Context, f store.Filter, fn func(model.Result) error) error {
	s.got = f
	for i := range s.n {
		if s.err != nil && i == s.failAt {
			return s.err
		}
		if s.before != nil {
			if err := s.before(i); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(sample(i)); err != nil {
			return err
		}
	}
	return s.err
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name, query     string
		status          int
		ctype, filename string
		lines           int
		badParam        string
	}{
		{"csv default", "provider=anthropic&model=claude-x", 200, "text/csv; charset=utf-8",
			"accesswatch_anthropic_claude-x_2026-03-02_2026-03-03.csv", 4, ""},
		{"jsonl", "format=jsonl&from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z", 200, "application/x-ndjson",
			"accesswatch_all_all_2026-02-01_2026-03-01.jsonl", 3, ""},
		{"odd names are sanitised", "provider=x%22%3B&model=a%2Fb", 200, "text/csv; charset=utf-8",
			"accesswatch_x--_a-b_2026-03-02_2026-03-03.csv", 4, ""},
		{"bad param", "from=soon", 400, "application/json", "", 0, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{n: 3}
			rec := httptest.NewRecorder()
			Handler(src, fixedNow).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/results/export?"+tt.query, nil))
			if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.ctype {
				t.Fatalf("status %d, type %q; want %d, %q: %s", rec.Code, rec.Header().Get("Content-Type"),
					tt.status, tt.ctype, rec.Body)
			}
			if tt.badParam != "" {
				var body struct{ Error, Param string }
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Param != tt.badParam ||
					!strings.Contains(body.Error, tt.badParam) {
					t.Errorf("error body = %s", rec.Body)
				}
				return
			}
			if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="`+tt.filename+`"` {
				t.Errorf("Content-Disposition = %q, want filename %q", cd, tt.filename)
			}
			if n := strings.Count(rec.Body.String(), "\n"); n < tt.lines {
				t.Errorf("body has %d newlines, want at least %d", n, tt.lines)
			}
		})
	}
	t.Run("filter reaches the source", func(t *testing.T) {
		src := &fakeSource{}
		Handler(src, fixedNow).ServeHTTP(httptest.NewRecorder(),
			httptest.NewRequest("GET", "/x?region=in&vantage=v&class=ok&from=1h", nil))
		if src.got.Region != "in" || src.got.Vantage != "v" || src.got.Class != "ok" || !src.got.Since.Equal(now.Add(-time.Hour)) {
			t.Errorf("source got %+v", src.got)
		}
	})
	t.Run("method", func(t *testing.T) {
		rec := httptest.NewRecorder()
		Handler(&fakeSource{}, fixedNow).ServeHTTP(rec, httptest.NewRequest("POST", "/x", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST = %d", rec.Code)
		}
	})
	t.Run("failure before any byte is a 500", func(t *testing.T) {
		rec := httptest.NewRecorder()
		Handler(&fakeSource{n: 3, err: errors.New("store: closed")}, fixedNow).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		if rec.Code != 500 || rec.Header().Get("Content-Disposition") != "" || strings.Contains(rec.Body.String(), "closed") {
			t.Errorf("status %d, disposition %q, body %s", rec.Code, rec.Header().Get("Content-Disposition"), rec.Body)
		}
	})
}

func TestHandlerAbortsMidStream(t *testing.T) {
	src := &fakeSource{n: 5000, failAt: 4000, err: errors.New("disk error")}
	srv := httptest.NewServer(Handler(src, fixedNow))
	defer srv.Close()
	ctx, cancel := wait(t)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("a failed export read as complete; want a truncated body error")
	}
}

// TestHandlerStreams exports 25,000 results and checks the client receives the first
// rows before the source yields the last: the handler writes progressively rather than
// buffering the export.
func TestHandlerStreams(t *testing.T) {
	const n = 25000
	ctx, cancel := wait(t)
	defer cancel()
	firstRows := make(chan struct{})
	src := &fakeSource{n: n, before: func(i int) error {
		if i != n-1 {
			return nil
		}
		select { // hold the last result until the client has read rows
		case <-firstRows:
			return nil
		case <-ctx.Done():
			return errors.New("the client saw nothing before the last row was read")
		}
	}}
	srv := httptest.NewServer(Handler(src, fixedNow))
	defer srv.Close()
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			firstRows = make(chan struct{})
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"?format="+format, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			lines := 0
			for sc.Scan() {
				if lines++; lines == 100 {
					close(firstRows)
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatalf("after %d lines: %v", lines, err)
			}
			// CSV: a header, and the full samples' excerpt spans two lines inside quotes;
			// JSONL: one line per result, the newline escaped.
			want := 1 + n + n/2
			if format == "jsonl" {
				want = n
			}
			if lines != want {
				t.Errorf("read %d lines, want %d", lines, want)
			}
		})
	}
}

func TestHandlerWithStore(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{Path: t.TempDir() + "/r.db", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	rs := []model.Result{sample(2), sample(1), sample(3)}
	rs[2].Provider = "openai"
	if err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	Handler(s, fixedNow).ServeHTTP(rec, httptest.NewRequest("GET",
		"/api/v1/results/export?provider=anthropic&from=2026-03-01T00:00:00Z&format=jsonl", nil))
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(rec.Body.String()), "\n") {
		var r model.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		got = append(got, r.ID)
	}
	if want := []string{sample(1).ID, sample(2).ID}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("exported %v, want %v (oldest first, openai filtered out)", got, want)
	}
}
