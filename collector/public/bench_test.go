package public

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/api"
	"github.com/accesswatch/accesswatch/collector/public/loadtest"
	"github.com/accesswatch/accesswatch/internal/model"
)

// bigSource has 1,000 targets: 4 providers × 25 models × 10 regions.
func bigSource() *fakeSource {
	f := &fakeSource{now: func() time.Time { return testNow }, uptime: map[string][2]int64{}}
	states := model.States()
	for p := 0; p < 4; p++ {
		for m := 0; m < 25; m++ {
			for r := 0; r < 10; r++ {
				t := model.TargetStatus{Provider: fmt.Sprintf("provider%d", p), Model: fmt.Sprintf("model-%02d", m),
					Region: fmt.Sprintf("region%d", r), State: states[(p+m+r)%len(states)], Since: testNow.Add(-time.Hour)}
				f.status = append(f.status, t)
				f.uptime[t.Provider+"/"+t.Model+"/"+t.Region+"/24h"] = [2]int64{1439, 1440}
			}
		}
	}
	return f
}

func bigServer(tb testing.TB) (*Server, []string) {
	src := bigSource()
	s := New(Options{Source: src, Now: src.now, RenderStatus: api.StatusJSON})
	if err := s.Rebuild(context.Background()); err != nil {
		tb.Fatal(err)
	}
	var paths []string
	for _, t := range src.status {
		paths = append(paths, "/badge/"+t.Provider+"/"+t.Model+"/"+t.Region+".svg")
	}
	return s, paths
}

type discardWriter struct {
	h http.Header
	n int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func BenchmarkBadgeServe(b *testing.B) {
	s, paths := bigServer(b)
	h := s.Handler()
	reqs := make([]*http.Request, len(paths))
	for i, p := range paths {
		reqs[i] = httptest.NewRequest(http.MethodGet, p, nil)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		i := int(next.Add(1)) * 97
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, reqs[i%len(reqs)])
			i++
		}
	})
}

func BenchmarkRebuild1000(b *testing.B) {
	src := bigSource()
	s := New(Options{Source: src, Now: src.now, RenderStatus: api.StatusJSON})
	for b.Loop() {
		if err := s.Rebuild(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestServeRateVsStatic compares our handler with net/http.FileServer serving the same badge
// bytes, over loopback, 5 s each. Run with BENCH_HTTP=1 go test -run ServeRateVsStatic -v.
func TestServeRateVsStatic(t *testing.T) {
	if os.Getenv("BENCH_HTTP") != "1" {
		t.Skip("set BENCH_HTTP=1 to run the loopback load comparison")
	}
	s, paths := bigServer(t)
	dir := t.TempDir()
	snap := s.snap.Load()
	for _, t0 := range bigSource().status {
		e := snap.badges[badgeKey{provider: t0.Provider, model: t0.Model, region: t0.Region}]
		p := filepath.Join(dir, "badge", t0.Provider, t0.Model, t0.Region+".svg")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, e.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ours := httptest.NewServer(s.Handler())
	defer ours.Close()
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()
	urls := func(base string) []string {
		out := make([]string, len(paths))
		for i, p := range paths {
			out[i] = base + p
		}
		return out
	}
	const conc, d = 32, 5 * time.Second
	ctx := context.Background()
	repOurs := loadtest.Run(ctx, urls(ours.URL), conc, d)
	repStatic := loadtest.Run(ctx, urls(static.URL), conc, d)
	for name, r := range map[string]loadtest.Report{"public": repOurs, "static": repStatic} {
		t.Logf("%-6s %8.0f req/s  p50 %v  p99 %v  requests %d  errors %d", name, r.RPS, r.P50, r.P99, r.Requests, r.Errors)
		if r.Errors > 0 {
			t.Errorf("%s: %d errors", name, r.Errors)
		}
	}
	t.Logf("badges: ratio public/static = %.2f", repOurs.RPS/repStatic.RPS)

	// GET /api/v1/status with 1,000 targets, against a file with the same bytes.
	if err := os.WriteFile(filepath.Join(dir, "status.json"), snap.status.body, 0o644); err != nil {
		t.Fatal(err)
	}
	stOurs := loadtest.Run(ctx, []string{ours.URL + "/api/v1/status"}, conc, d)
	stStatic := loadtest.Run(ctx, []string{static.URL + "/status.json"}, conc, d)
	for name, r := range map[string]loadtest.Report{"status": stOurs, "static": stStatic} {
		t.Logf("%-6s %8.0f req/s  p50 %v  p99 %v  requests %d  errors %d (%d bytes a response)", name, r.RPS, r.P50, r.P99, r.Requests, r.Errors, len(snap.status.body))
		if r.Errors > 0 {
			t.Errorf("%s: %d errors", name, r.Errors)
		}
	}
	t.Logf("status: ratio public/static = %.2f (the same %d bytes)", stOurs.RPS/stStatic.RPS, len(snap.status.body))

	// What real clients get: they ask for gzip and receive the pre-compressed body. The static
	// side serves the same compressed bytes through http.ServeContent.
	gzStatic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		http.ServeContent(w, r, "status.json", time.Time{}, bytes.NewReader(snap.status.gz))
	}))
	defer gzStatic.Close()
	gzOurs := loadtest.RunWith(ctx, []string{ours.URL + "/api/v1/status"}, conc, d, true)
	gzSt := loadtest.RunWith(ctx, []string{gzStatic.URL + "/status.json"}, conc, d, true)
	for name, r := range map[string]loadtest.Report{"status gzip": gzOurs, "static gzip": gzSt} {
		t.Logf("%-11s %8.0f req/s  p50 %v  p99 %v  requests %d  errors %d (%d bytes a response)", name, r.RPS, r.P50, r.P99, r.Requests, r.Errors, len(snap.status.gz))
		if r.Errors > 0 {
			t.Errorf("%s: %d errors", name, r.Errors)
		}
	}
	t.Logf("status gzip: ratio public/static = %.2f", gzOurs.RPS/gzSt.RPS)
}
