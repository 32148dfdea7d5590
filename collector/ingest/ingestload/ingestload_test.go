package ingestload_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/ingest"
	"github.com/accesswatch/accesswatch/collector/ingest/ingestload"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// memSink keeps ids in memory: enough to see what the collector accepted.
type memSink struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (m *memSink) Insert(_ context.Context, rs []model.Result) ([]model.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var fresh []model.Result
	for _, r := range rs {
		if !m.ids[r.ID] {
			m.ids[r.ID] = true
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

func collector(t *testing.T) (*httptest.Server, *memSink, *ingest.Handler) {
	t.Helper()
	sink := &memSink{ids: make(map[string]bool)}
	o := ingest.Options{Agents: []ingest.Agent{{ID: "load", Tokens: []string{"load-token"}}}, Sink: sink}
	vs, models := ingestload.Fleet()
	for _, v := range vs {
		o.Vantages = append(o.Vantages, ingest.Vantage(v))
	}
	for p, ms := range models {
		o.Watch = append(o.Watch, ingest.Watched{Provider: p, Models: ms})
	}
	h, err := ingest.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(push.Path, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, sink, h
}

func TestRunThroughTheRealHandler(t *testing.T) {
	srv, sink, h := collector(t)
	for run, url := range []string{srv.URL, srv.URL + "/", srv.URL + push.Path} {
		rep, err := ingestload.Run(context.Background(), url, "load-token", "load", 3, 1000, 2500)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if rep.Batches != 3 || rep.Results != 2500 || rep.Accepted != 2500 || rep.Duplicates != 0 || rep.Refused != 0 || rep.Failed != 0 {
			t.Errorf("run %d: %+v", run, rep)
		}
		if rep.ResultsPerSec <= 0 || rep.LatencyMax < rep.LatencyP50 || rep.BytesSent == 0 {
			t.Errorf("run %d: implausible figures %v", run, rep)
		}
	}
	if len(sink.ids) != 7500 {
		t.Errorf("the collector holds %d results, want 7500: every run's ids are fresh", len(sink.ids))
	}
	if st := h.Stats().Agents["load"]; st.Accepted != 7500 || st.Rejected[ingest.ReasonBadRequest] != 0 {
		t.Errorf("collector stats %+v", st)
	}
}

func TestRunReportsFailures(t *testing.T) {
	srv, _, _ := collector(t)
	rep, err := ingestload.Run(context.Background(), srv.URL, "wrong-token", "load", 2, 10, 30)
	if err == nil || !strings.Contains(err.Error(), "3 of 3 requests failed") || !strings.Contains(err.Error(), "HTTP 401: invalid bearer token") {
		t.Errorf("error = %v", err)
	}
	if rep.Failed != 3 || rep.Batches != 0 {
		t.Errorf("report %+v", rep)
	}
	if _, err := ingestload.Run(context.Background(), srv.URL, "t", "a", 0, 10, 10); err == nil {
		t.Error("Run accepted a concurrency of 0")
	}
}

func TestSynthetic(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rs := ingestload.Synthetic(100, 300, start)
	ids := map[string]bool{}
	classes := map[model.Class]int{}
	for i, r := range rs {
		if ids[r.ID] {
			t.Fatalf("repeated id %s", r.ID)
		}
		ids[r.ID] = true
		classes[r.Class]++
		if want := start.Add(time.Duration(100+i) * time.Millisecond); !r.Time.Equal(want) {
			t.Fatalf("result %d at %v, want %v", i, r.Time, want)
		}
	}
	if len(classes) < 3 || classes[model.ClassOK] < len(rs)/2 {
		t.Errorf("class mix %v: want mostly ok, some failures", classes)
	}
}

// TestConfigYAMLIsACollectorConfig checks that the sections ConfigYAML writes make a
// collector configuration that names exactly the fleet Synthetic results come from.
func TestConfigYAMLIsACollectorConfig(t *testing.T) {
	text := "collector: { agents: [ { id: load, tokens: [load-token-0123456789] } ] }\n" + ingestload.ConfigYAML()
	c, err := config.Parse([]byte(text), "load.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Require(config.ModeCollector); err != nil {
		t.Fatal(err)
	}
	vs, models := ingestload.Fleet()
	if len(c.Vantages) != len(vs) || len(c.Providers) != len(models) {
		t.Fatalf("config has %d vantages and %d providers, the fleet %d and %d", len(c.Vantages), len(c.Providers), len(vs), len(models))
	}
	for i, v := range c.Vantages {
		if v.ID != vs[i].ID || v.Region != vs[i].Region || v.Country != vs[i].Country {
			t.Errorf("vantage %d: %+v, want %+v", i, v, vs[i])
		}
	}
	for _, p := range c.Providers {
		if strings.Join(p.Models, ",") != strings.Join(models[p.ID], ",") {
			t.Errorf("provider %s models %v, want %v", p.ID, p.Models, models[p.ID])
		}
	}
	for _, r := range ingestload.Synthetic(0, 600, time.Now()) {
		if !slices.Contains(models[r.Provider], r.Model) {
			t.Fatalf("Synthetic names %s/%s, not in the fleet", r.Provider, r.Model)
		}
	}
}
