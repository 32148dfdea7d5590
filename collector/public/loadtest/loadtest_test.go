package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsRequestsAndErrors(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.URL.Path == "/bad" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	rep := Run(context.Background(), []string{srv.URL + "/good", srv.URL + "/bad"}, 2, 200*time.Millisecond)
	if rep.Requests == 0 || rep.RPS <= 0 {
		t.Fatalf("no requests: %+v", rep)
	}
	if rep.Errors == 0 || rep.Errors >= rep.Requests {
		t.Errorf("errors = %d of %d, want about half", rep.Errors, rep.Requests)
	}
	if rep.Requests > served.Load() {
		t.Errorf("reported %d requests, server saw %d", rep.Requests, served.Load())
	}
	if rep.P50 <= 0 || rep.P99 < rep.P50 {
		t.Errorf("percentiles p50=%v p99=%v", rep.P50, rep.P99)
	}
}

func TestRunEmpty(t *testing.T) {
	if rep := Run(context.Background(), nil, 4, time.Second); rep.Requests != 0 {
		t.Errorf("Run(nil) = %+v", rep)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for _, c := range []struct{ p, want int }{{50, 50}, {99, 99}, {100, 100}, {1, 1}} {
		if got := percentile(s, c.p); got != time.Duration(c.want) {
			t.Errorf("p%d = %v, want %v", c.p, got, c.want)
		}
	}
}
