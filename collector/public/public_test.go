package public

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// fakeSource answers uptime as a function of the window (now - since).
type fakeSource struct {
	mu        sync.Mutex
	status    []model.TargetStatus
	claims    []model.Claim
	uptime    map[string][2]int64 // "provider/model/region/window" → ok, total
	uptimeErr error
	now       func() time.Time
	calls     int
}

func (f *fakeSource) Status() []model.TargetStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.TargetStatus(nil), f.status...)
}

func (f *fakeSource) Uptime(_ context.Context, p, m, r string, since time.Time) (int64, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.uptimeErr != nil {
		return 0, 0, f.uptimeErr
	}
	w := ""
	for _, uw := range uptimeWindows {
		if f.now().Sub(since) == uw.d {
			w = uw.name
		}
	}
	v := f.uptime[p+"/"+m+"/"+r+"/"+w]
	return v[0], v[1], nil
}

func (f *fakeSource) Claims(context.Context) ([]model.Claim, error) { return f.claims, nil }

func testSource(now func() time.Time) *fakeSource {
	since := testNow.Add(-3 * time.Hour)
	return &fakeSource{
		now: now,
		status: []model.TargetStatus{
			{Provider: "anthropic", Model: "claude-sonnet-4", Region: "europe", State: model.StateAvailable, Since: since, LastChecked: testNow},
			{Provider: "anthropic", Model: "claude-sonnet-4", Region: "india", State: model.StateRevoked, Since: since.Add(time.Hour),
				Signature: "geo_blocked:anthropic:403:forbidden", LastChecked: testNow},
			{Provider: "anthropic", Model: "claude-sonnet-4", Region: "india", Vantage: "in-1", State: model.StateRevoked, Since: since},
			{Provider: "gemini", Model: "models/gemini-2.5-pro", Region: "us", State: model.StateUnknown, Reason: "no healthy vantage"},
			{Provider: "openai", Model: "gpt<&>", Region: "brazil", State: model.StateDown, Since: since},
			{Provider: "openai", Model: "gpt<&>", Region: "japan", State: model.StateDegraded, Since: since, Signature: "overloaded:openai:503"},
		},
		claims: []model.Claim{{Provider: "anthropic", Component: "Claude API", Status: model.ClaimOperational}},
		uptime: map[string][2]int64{
			"anthropic/claude-sonnet-4/europe/24h": {1440, 1440},
			"anthropic/claude-sonnet-4/europe/7d":  {9995, 10000},
			"anthropic/claude-sonnet-4/europe/30d": {99999, 100000},
			"anthropic/claude-sonnet-4/europe/90d": {95, 100},
			"anthropic/claude-sonnet-4/india/24h":  {720, 1440},
			"openai/gpt<&>/brazil/24h":             {0, 10},
		},
	}
}

func newTestServer(t testing.TB, o Options) (*Server, *fakeSource) {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	src := testSource(o.Now)
	o.Source = src
	if o.Title == "" {
		o.Title, o.BaseURL = "accesswatch", "https://status.example.org"
	}
	s := New(o)
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, src
}

func do(t testing.TB, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t testing.TB, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	testkit.Golden(t, path, got)
}

func TestGolden(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h := s.Handler()
	cases := []struct {
		name, path string
		status     int
		ctype      string
	}{
		{"badge_available_svg", "/badge/anthropic/claude-sonnet-4/europe.svg", 200, mimeSVG},
		{"badge_revoked_svg", "/badge/anthropic/claude-sonnet-4/india.svg", 200, mimeSVG},
		{"badge_escaped_svg", "/badge/openai/gpt%3C&%3E/brazil.svg", 200, mimeSVG},
		{"badge_revoked_json", "/badge/anthropic/claude-sonnet-4/india.json", 200, mimeJSON},
		{"badge_slash_model_json", "/badge/gemini/models/gemini-2.5-pro/us.json", 200, mimeJSON},
		{"badge_uptime_7d_svg", "/badge/anthropic/claude-sonnet-4/europe/uptime/7d.svg", 200, mimeSVG},
		{"badge_uptime_30d_json", "/badge/anthropic/claude-sonnet-4/europe/uptime/30d.json", 200, mimeJSON},
		{"badge_uptime_nodata_json", "/badge/anthropic/claude-sonnet-4/india/uptime/30d.json", 200, mimeJSON},
		{"badge_not_found_svg", "/badge/anthropic/claude-sonnet-4/mars.svg", 404, mimeSVG},
		{"badge_not_found_json", "/badge/anthropic/nope/europe/uptime/24h.json", 404, mimeJSON},
		{"summary", "/api/v2/summary.json", 200, mimeJSON},
		{"uptime_one", "/api/v1/uptime?provider=anthropic&model=claude-sonnet-4&region=europe&window=7d", 200, mimeJSON},
		{"uptime_all_regions", "/api/v1/uptime?provider=anthropic&model=claude-sonnet-4", 200, mimeJSON},
		{"uptime_bad_window", "/api/v1/uptime?provider=anthropic&model=claude-sonnet-4&window=1y", 400, mimeJSON},
		{"uptime_missing", "/api/v1/uptime?model=claude-sonnet-4", 400, mimeJSON},
		{"uptime_unknown", "/api/v1/uptime?provider=anthropic&model=claude-sonnet-4&region=mars", 404, mimeJSON},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, h, http.MethodGet, c.path, nil)
			b := body(t, r)
			if r.StatusCode != c.status {
				t.Fatalf("status = %d, want %d: %s", r.StatusCode, c.status, b)
			}
			if got := r.Header.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type = %q, want %q", got, c.ctype)
			}
			wantCC := ccAPI
			if strings.HasPrefix(c.path, "/badge/") {
				wantCC = ccBadge
			}
			if got := r.Header.Get("Cache-Control"); got != wantCC {
				t.Errorf("Cache-Control = %q, want %q", got, wantCC)
			}
			golden(t, c.name, []byte(b))
		})
	}
}

func TestMethodsAndUnknownPaths(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h := s.Handler()
	for _, c := range []struct {
		name, method, path string
		status             int
	}{
		{"post", http.MethodPost, "/api/v2/summary.json", 405},
		{"unknown path", http.MethodGet, "/api/v2/nope", 404},
		{"badge bad ext", http.MethodGet, "/badge/anthropic/claude-sonnet-4/europe.png", 404},
		{"badge too short", http.MethodGet, "/badge/anthropic.svg", 404},
		{"badge bad window", http.MethodGet, "/badge/anthropic/claude-sonnet-4/europe/uptime/90d.svg", 404},
		{"uptime extra param", http.MethodGet, "/api/v1/uptime?provider=a&model=b&foo=1", 400},
		{"head", http.MethodHead, "/api/v2/summary.json", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, h, c.method, c.path, nil)
			b := body(t, r)
			if r.StatusCode != c.status {
				t.Fatalf("status = %d, want %d", r.StatusCode, c.status)
			}
			if c.method == http.MethodHead && (b != "" || r.Header.Get("Content-Length") == "0") {
				t.Errorf("HEAD: body %q, length %q", b, r.Header.Get("Content-Length"))
			}
		})
	}
}

func TestETagAndConditional(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h := s.Handler()
	const path = "/badge/anthropic/claude-sonnet-4/europe.svg"
	first := do(t, h, http.MethodGet, path, nil)
	etag, lm := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 || lm == "" {
		t.Fatalf("ETag %q, Last-Modified %q", etag, lm)
	}
	for _, c := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"same etag", map[string]string{"If-None-Match": etag}, 304},
		{"weak form", map[string]string{"If-None-Match": "W/" + etag}, 304},
		{"in list", map[string]string{"If-None-Match": `"x", ` + etag}, 304},
		{"star", map[string]string{"If-None-Match": "*"}, 304},
		{"other etag", map[string]string{"If-None-Match": `"other"`}, 200},
		{"other etag wins over date", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, 200},
		{"not modified since", map[string]string{"If-Modified-Since": lm}, 304},
		{"modified since", map[string]string{"If-Modified-Since": testNow.Add(-time.Hour).Format(http.TimeFormat)}, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, h, http.MethodGet, path, c.hdr)
			b := body(t, r)
			if r.StatusCode != c.want {
				t.Fatalf("status = %d, want %d", r.StatusCode, c.want)
			}
			if c.want == 304 && (b != "" || r.Header.Get("ETag") != etag) {
				t.Errorf("304 with body %q, ETag %q", b, r.Header.Get("ETag"))
			}
		})
	}
}

func TestRebuildKeepsUnchangedAnswers(t *testing.T) {
	now := testNow
	s, src := newTestServer(t, Options{Now: func() time.Time { return now }})
	h := s.Handler()
	const path = "/badge/anthropic/claude-sonnet-4/europe.svg"
	before := do(t, h, http.MethodGet, path, nil)
	now = now.Add(time.Minute)
	src.mu.Lock()
	src.uptime = map[string][2]int64{}
	for k, v := range testSource(nil).uptime {
		src.uptime[k] = v
	}
	src.mu.Unlock()
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	same := do(t, h, http.MethodGet, path, nil)
	if same.Header.Get("ETag") != before.Header.Get("ETag") || same.Header.Get("Last-Modified") != before.Header.Get("Last-Modified") {
		t.Errorf("unchanged badge changed validators: %v → %v", before.Header, same.Header)
	}
	src.mu.Lock()
	src.status[0].State = model.StateRevoked
	src.mu.Unlock()
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	changed := do(t, h, http.MethodGet, path, nil)
	if changed.Header.Get("ETag") == before.Header.Get("ETag") {
		t.Error("ETag did not change with the state")
	}
	if !strings.Contains(body(t, changed), ">revoked<") {
		t.Error("badge does not say revoked")
	}
	if changed.Header.Get("Last-Modified") != now.Format(http.TimeFormat) {
		t.Errorf("Last-Modified = %q, want %q", changed.Header.Get("Last-Modified"), now.Format(http.TimeFormat))
	}
}

func TestRebuildUptimeErrorKeepsPreviousFigures(t *testing.T) {
	s, src := newTestServer(t, Options{})
	h := s.Handler()
	const path = "/badge/anthropic/claude-sonnet-4/europe/uptime/7d.json"
	before := body(t, do(t, h, http.MethodGet, path, nil))
	src.mu.Lock()
	src.uptimeErr = errors.New("store down")
	src.mu.Unlock()
	err := s.Rebuild(context.Background())
	if err == nil || !strings.Contains(err.Error(), "store down") || !strings.Contains(err.Error(), "more queries failed") {
		t.Fatalf("Rebuild error = %v", err)
	}
	if after := body(t, do(t, h, http.MethodGet, path, nil)); after != before {
		t.Errorf("uptime badge changed on store failure: %s → %s", before, after)
	}
}

func TestRebuildCancelledKeepsSnapshot(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	old := s.snap.Load()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Rebuild(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Rebuild = %v, want context.Canceled", err)
	}
	if s.snap.Load() != old {
		t.Error("a cancelled rebuild replaced the snapshot")
	}
}

func TestCORS(t *testing.T) {
	anyS, _ := newTestServer(t, Options{})
	listS, _ := newTestServer(t, Options{AllowOrigins: []string{"https://news.example"}})
	for _, c := range []struct {
		name, method, origin string
		h                    http.Handler
		wantOrigin, wantVary string
		wantStatus           int
	}{
		{"star", http.MethodGet, "https://a.example", anyS.Handler(), "*", "", 200},
		{"listed", http.MethodGet, "https://news.example", listS.Handler(), "https://news.example", "Origin", 200},
		{"not listed", http.MethodGet, "https://evil.example", listS.Handler(), "", "Origin", 200},
		{"preflight star", http.MethodOptions, "https://a.example", anyS.Handler(), "*", "", 204},
		{"preflight listed", http.MethodOptions, "https://news.example", listS.Handler(), "https://news.example", "Origin", 204},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{"Origin": c.origin}
			if c.method == http.MethodOptions {
				hdr["Access-Control-Request-Method"] = "GET"
			}
			r := do(t, c.h, c.method, "/api/v2/summary.json", hdr)
			if r.StatusCode != c.wantStatus {
				t.Fatalf("status = %d", r.StatusCode)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != c.wantOrigin {
				t.Errorf("Allow-Origin = %q, want %q", got, c.wantOrigin)
			}
			vary := strings.Join(r.Header.Values("Vary"), ", ")
			if strings.Contains(vary, "Origin") != (c.wantVary == "Origin") {
				t.Errorf("Vary = %q, want it to name Origin: %v", vary, c.wantVary == "Origin")
			}
			if c.method == http.MethodOptions && !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "GET") {
				t.Errorf("preflight Allow-Methods = %q", r.Header.Get("Access-Control-Allow-Methods"))
			}
		})
	}
}

// TestGzip: a large snapshot body goes out pre-compressed to clients that take gzip, with its
// own strong validator, and plain to the others.
func TestGzip(t *testing.T) {
	s, _ := bigServer(t)
	h := s.Handler()
	plain := httptest.NewRecorder()
	h.ServeHTTP(plain, httptest.NewRequest(http.MethodGet, "/api/v1/status", nil))
	req := httptest.NewRequest(http.MethodGet, "/api/v1/status", nil)
	req.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
	gz := httptest.NewRecorder()
	h.ServeHTTP(gz, req)
	if gz.Header().Get("Content-Encoding") != "gzip" || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("Content-Encoding: gzip client %q, plain client %q", gz.Header().Get("Content-Encoding"), plain.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, plain.Body.Bytes()) || gz.Body.Len()*5 > plain.Body.Len() {
		t.Fatalf("gzip body: %d bytes unpacking to %d, plain %d", gz.Body.Len(), len(unz), plain.Body.Len())
	}
	if gz.Header().Get("Etag") == plain.Header().Get("Etag") || !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("etags %s / %s, vary %q", gz.Header().Get("Etag"), plain.Header().Get("Etag"), gz.Header().Get("Vary"))
	}
	req.Header.Set("If-None-Match", gz.Header().Get("Etag"))
	again := httptest.NewRecorder()
	h.ServeHTTP(again, req)
	if again.Code != http.StatusNotModified || again.Header().Get("Content-Encoding") != "" {
		t.Fatalf("revalidation: %d %q", again.Code, again.Header().Get("Content-Encoding"))
	}
	off := httptest.NewRequest(http.MethodGet, "/api/v1/status", nil)
	off.Header.Set("Accept-Encoding", "gzip;q=0")
	no := httptest.NewRecorder()
	h.ServeHTTP(no, off)
	if no.Header().Get("Content-Encoding") != "" {
		t.Fatal("gzip sent to a client that refused it (q=0)")
	}
}
