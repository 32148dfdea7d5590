package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/ingest/ingestload"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// BenchmarkIngestHTTP measures the figure: results per second end to end, from
// concurrent clients posting gzip batches of 1000 pre-built results over loopback HTTP,
// through this handler, into the SQLite store (target: 50,000 results/s on 2 cores).
// "agents=4" is a fleet, each agent posting one batch at a time as agents do; "agents=1"
// has one agent's clients post concurrently, whose batches the handler stores one at a
// time. One op is one batch; cpu-% is the process's CPU use (200 = both cores).
func BenchmarkIngestHTTP(b *testing.B) {
	for _, tc := range []struct{ agents, clientsPerAgent int }{{1, 1}, {1, 4}, {2, 1}, {4, 1}} {
		b.Run(fmt.Sprintf("agents=%d/clients=%d", tc.agents, tc.agents*tc.clientsPerAgent), func(b *testing.B) {
			benchmarkIngest(b, tc.agents, tc.clientsPerAgent)
		})
	}
}

func benchmarkIngest(b *testing.B, agents, clientsPerAgent int) {
	const batch = 1000
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(b.TempDir(), "r.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	var conf []Agent
	for i := range agents {
		conf = append(conf, Agent{ID: fmt.Sprintf("bench-%d", i), Tokens: []string{fmt.Sprintf("bench-token-%d", i)}})
	}
	var fresh atomic.Int64
	o := Options{Agents: conf, Sink: st, OnFresh: func(_ string, rs []model.Result) { fresh.Add(int64(len(rs))) }}
	vs, models := ingestload.Fleet()
	for _, v := range vs {
		o.Vantages = append(o.Vantages, Vantage(v))
	}
	for p, ms := range models {
		o.Watch = append(o.Watch, Watched{Provider: p, Models: ms})
	}
	h, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(push.Path, h)
	srv := httptest.NewServer(mux) // 127.0.0.1:0
	defer srv.Close()
	bodies := make([][]ingestload.Body, agents) // b.N batches, dealt out to the agents
	for i, a := range conf {
		n := b.N / agents
		if i < b.N%agents {
			n++
		}
		if bodies[i], err = ingestload.Bodies(a.ID, batch, n*batch, time.Now().Add(-time.Duration(n*batch)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
	client := ingestload.NewClient(agents * clientsPerAgent)
	defer client.CloseIdleConnections()
	reports := make([]ingestload.Report, agents)
	errs := make([]error, agents)
	var wg sync.WaitGroup
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i, a := range conf {
		wg.Go(func() {
			reports[i], errs[i] = ingestload.Post(context.Background(), client, srv.URL, a.Tokens[0], a.ID, clientsPerAgent, bodies[i])
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := b.Elapsed()
	var accepted int
	var p99 time.Duration
	for i := range reports {
		if errs[i] != nil {
			b.Fatal(errs[i])
		}
		accepted += reports[i].Accepted
		p99 = max(p99, reports[i].LatencyP99)
	}
	if accepted != b.N*batch || fresh.Load() != int64(accepted) {
		b.Fatalf("accepted %d, OnFresh got %d; want %d", accepted, fresh.Load(), b.N*batch)
	}
	b.ReportMetric(float64(accepted)/elapsed.Seconds(), "results/s")
	b.ReportMetric(100*(cpuTime(b)-cpu0).Seconds()/elapsed.Seconds(), "cpu-%")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
