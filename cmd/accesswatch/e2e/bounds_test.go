package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/cmd/accesswatch/app"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// childConfigEnv names the config file TestCollectorProcess runs a collector with; without it
// that test is skipped. The test binary re-executes itself with it, so the collector is a real
// process of its own whose RSS is its alone.
const childConfigEnv = "ACCESSWATCH_E2E_COLLECTOR_CONFIG"

const boundsCollectorYAML = `server: { listen: "127.0.0.1:0" }
store: { path: "%s/bounds.db", flush_interval: 100ms }
collector: { agents: [ { id: mumbai, tokens: ["${AGENT_TOKEN}"] } ] }
vantages:
  - { id: in-mumbai-1, region: india, country: IN }
  - { id: us-virginia-1, region: us, country: US }
providers:
  - { id: anthropic, kind: anthropic, models: [claude-a, claude-b] }
`

// TestCollectorProcess is the collector process of TestDistinctNamesLeaveRSSFlat: it serves
// until its standard input closes (or two minutes pass), printing "LISTEN <addr>" first.
func TestCollectorProcess(t *testing.T) {
	path := os.Getenv(childConfigEnv)
	if path == "" {
		t.Skip("the collector process of TestDistinctNamesLeaveRSSFlat")
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.New(context.Background(), app.Options{Config: cfg, Mode: config.ModeCollector, Listener: ln,
		StopGrace: 3 * time.Second, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	fmt.Printf("LISTEN %s\n", svc.Addr())
	if err := svc.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDistinctNamesLeaveRSSFlat pushes 10,000 results, each naming a model no one configured,
// to a collector process, and checks that they change nothing but a counter: the answers say
// refused, no name reaches /metrics, the status or the page, and the collector's RSS stays
// within 50 MB of where it was (the issue measured 4,000 names taking it from 123 MB to 4.5 GB).
func TestDistinctNamesLeaveRSSFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a collector process")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(boundsCollectorYAML, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCollectorProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childConfigEnv+"="+cfgPath, "AGENT_TOKEN="+agentToken)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("collector process: %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("collector process did not stop within 20s")
		}
	})
	addrCh := make(chan string, 1)
	go func() { // reads stdout to its end, so the child never blocks on it
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
				addrCh <- a
			}
		}
	}()
	var base string
	select {
	case a := <-addrCh:
		base = "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatalf("the collector process printed no address within 60s\n%s", stderr.String())
	}
	pid := cmd.Process.Pid

	client := &http.Client{Timeout: 30 * time.Second}
	now := time.Now()
	mk := func(i int, mdl, vantage, region, country string) model.Result {
		tm := now.Add(-time.Minute + time.Duration(i)*time.Millisecond)
		return model.Result{
			ID: model.NewID(tm), SchemaVersion: model.SchemaVersion, Time: tm, EndedAt: tm.Add(40 * time.Millisecond),
			Vantage: vantage, Region: region, Country: country, Provider: "anthropic", Kind: "anthropic", Model: mdl,
			Check: model.CheckGenerate, Method: http.MethodPost, URL: "https://api.anthropic.com/v1/messages", HTTPStatus: 403,
			Classification: model.Classification{Layer: model.LayerAPI, Class: model.ClassGeoBlocked, Access: model.AccessRevoked,
				Signature: "anthropic:generate:403:forbidden"},
			Timings: model.Timings{DNSMs: 1, ConnectMs: 2, TLSMs: 3, FirstByteMs: 40, TotalMs: 41},
		}
	}
	// Warm up with what the config names, so the baseline has every part in use.
	for round := range 5 {
		var rs []model.Result
		for i := range 200 {
			v, r, c := "in-mumbai-1", "india", "IN"
			if i%2 == 1 {
				v, r, c = "us-virginia-1", "us", "US"
			}
			rs = append(rs, mk(round*200+i, []string{"claude-a", "claude-b"}[i%4/2], v, r, c))
		}
		if got := pushTo(t, client, base, rs); got.Accepted != len(rs) || got.Refused != 0 {
			t.Fatalf("warm-up push answered %+v", got)
		}
	}
	surfaces := []string{"/metrics", "/api/v1/status", "/api/v1/events", "/", "/api/v2/summary.json"}
	read := func() map[string]string {
		out := map[string]string{}
		for _, p := range surfaces {
			resp, err := client.Get(base + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", p, resp.StatusCode, b)
			}
			out[p] = string(b)
		}
		return out
	}
	read()
	time.Sleep(300 * time.Millisecond) // a store flush
	before := rssKiB(t, pid)

	// 10,000 distinct model names in 10 batches of 1,000.
	const names, batch = 10000, 1000
	start := time.Now()
	for b := 0; b < names/batch; b++ {
		rs := make([]model.Result, batch)
		for i := range rs {
			n := b*batch + i
			rs[i] = mk(n, fmt.Sprintf("fabricated-%05d", n), "in-mumbai-1", "india", "IN")
		}
		got := pushTo(t, client, base, rs)
		want := push.Response{Refused: batch,
			Refusal: fmt.Sprintf(`results[0].model: "fabricated-%05d" is not a model the collector watches on "anthropic"`, b*batch)}
		if got.Accepted != want.Accepted || got.Duplicates != 0 || got.Refused != want.Refused || got.Refusal != want.Refusal {
			t.Fatalf("push %d answered %+v, want %+v", b, got, want)
		}
	}
	pushed := time.Since(start)
	after := read()
	time.Sleep(300 * time.Millisecond)
	afterKiB := rssKiB(t, pid)
	delta := float64(afterKiB-before) / 1024
	t.Logf("collector RSS %.1f MB before, %.1f MB after %d distinct model names (%+.1f MB); pushed in %v",
		float64(before)/1024, float64(afterKiB)/1024, names, delta, pushed.Round(time.Millisecond))
	if delta > 50 {
		t.Errorf("RSS grew %.1f MB with %d unconfigured model names, want at most 50 MB", delta, names)
	}
	for p, body := range after {
		if strings.Contains(body, "fabricated-") {
			t.Errorf("%s names a model no one configured", p)
		}
	}
	metricsText := after["/metrics"]
	for _, want := range []string{
		`accesswatch_ingest_refused_results_total{agent="mumbai",reason="unknown_model"} 10000`,
		`accesswatch_ingest_results_total{agent="mumbai",outcome="accepted"} 1000`,
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var st struct{ Targets []model.TargetStatus }
	if err := json.Unmarshal([]byte(after["/api/v1/status"]), &st); err != nil {
		t.Fatal(err)
	}
	for _, ts := range st.Targets {
		if ts.Provider != "anthropic" || (ts.Model != "claude-a" && ts.Model != "claude-b") || (ts.Region != "india" && ts.Region != "us") {
			t.Errorf("status holds a target the config does not name: %+v", ts)
		}
	}
	if len(st.Targets) == 0 || len(st.Targets) > 2*2*3 { // models × regions, with per-vantage views
		t.Errorf("status holds %d targets", len(st.Targets))
	}
}

// pushTo posts rs as agent mumbai and decodes the 200 answer.
func pushTo(t *testing.T, client *http.Client, base string, rs []model.Result) push.Response {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(push.Batch{Agent: "mumbai", SentAt: time.Now(), Results: rs}); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, base+push.Path, &buf)
	req.Header.Set("Authorization", "Bearer "+agentToken)
	req.Header.Set(push.HeaderAgent, "mumbai")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("push: %d %s", resp.StatusCode, b)
	}
	var out push.Response
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// rssKiB is VmRSS of process pid, from /proc/<pid>/status.
func rssKiB(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/<pid>/status")
	return 0
}
