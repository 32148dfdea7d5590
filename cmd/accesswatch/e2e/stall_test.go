package e2e

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// stallConfig is the figure: five vantages (two in India), three models, every check
// each second, a 10 s timeout, fail_after 2 and recover_after 2. Jitter stays at its default.
const stallConfig = `server: { listen: "{{LISTEN}}" }
store: { path: "{{DIR}}/aw.db", flush_interval: 100ms }
geoip: { country_db: "{{COUNTRYDB}}", asn_db: "{{ASNDB}}" }
probing: { timeout: 10s, verify_every: 1m }
detection: { fail_after: 2, recover_after: 2 }
alerting:
  group_wait: 300ms
  webhooks: [ { url: "{{HOOK}}/hook", secret: "${HOOK_SECRET}" } ]
vantages:
  - { id: in-mumbai-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: in-delhi-1, region: india, country: IN, source_ip: 127.0.1.2 }
  - { id: au-sydney-1, region: australia, country: AU, source_ip: 127.0.2.1 }
  - { id: eu-frankfurt-1, region: europe, country: DE, source_ip: 127.0.3.1 }
  - { id: us-virginia-1, region: us, country: US, source_ip: 127.0.4.1 }
providers:
  - id: anthropic
    kind: anthropic
    base_url: "{{VENDOR}}/anthropic"
    api_key: e2e-key
    models: [claude-fable-5, claude-mythos-5, claude-sonnet-4-5]
    checks:
      - { kind: models, schedule: "@every 1s" }
      - { kind: generate, schedule: "@every 1s" }
`

// stallFor is how long Australia stalls: 30 s, long enough for two 10 s timeouts in a row,
// unless E2E_STALL sets it (the 60 s, say).
func stallFor(t *testing.T) time.Duration {
	if s := os.Getenv("E2E_STALL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("E2E_STALL: %v", err)
		}
		return d
	}
	return 30 * time.Second
}

// statusOf reads /api/v1/status as model/region → status.
func (r *running) statusOf(t *testing.T) map[string]model.TargetStatus {
	t.Helper()
	var st struct{ Targets []model.TargetStatus }
	r.get(t, "/api/v1/status", &st)
	out := map[string]model.TargetStatus{}
	for _, ts := range st.Targets {
		out[ts.Model+"/"+ts.Region] = ts
	}
	return out
}

// metricSum adds up the samples of name whose labels contain every one of labels.
func metricSum(text, name string, labels ...string) float64 {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// TestStalledRegion: the vendor stops answering Australia (connections accepted, no answer) for
// stallFor. Australia must be down or degraded within 25 s of the stall's start and available
// within 15 s of its end; no other region moves, nothing reads as revoked; each stalled request
// is one timeout result, counted once; the runs skipped behind the stalled requests are
// counted; every result carries when its answer came (ended_at) through the store and export.
func TestStalledRegion(t *testing.T) {
	models := []string{"claude-fable-5", "claude-mythos-5", "claude-sonnet-4-5"}
	w := newWorld(t, models...)
	hook := newReceiver(t)
	var mu sync.Mutex
	var timeouts []model.Result
	seen := 0
	run := w.startMode(t, config.ModeRun, "127.0.0.1:0", stallConfig, hook.srv.URL, func(rs []model.Result) {
		mu.Lock()
		defer mu.Unlock()
		seen += len(rs)
		for _, r := range rs {
			if r.Class == model.ClassTimeout {
				timeouts = append(timeouts, r)
			}
		}
	})
	regions := []string{"australia", "europe", "india", "us"}
	others := []string{"europe", "india", "us"}
	run.awaitStatus(t, "available everywhere", 30*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, models, regions, model.StateAvailable)
	})

	failing := func(s model.State) bool { return s == model.StateDown || s == model.StateDegraded }
	// watch polls the status until done accepts it (or within passes), failing on a revocation
	// anywhere or on another region leaving available; it returns when done first held.
	watch := func(what string, from time.Time, within time.Duration, done func(map[string]model.TargetStatus) bool) time.Duration {
		t.Helper()
		deadline := from.Add(within)
		var last map[string]model.TargetStatus
		for time.Now().Before(deadline) {
			last = run.statusOf(t)
			for k, ts := range last {
				if ts.State == model.StateRevoked {
					t.Fatalf("%s reads as revoked during a stall: %+v", k, ts)
				}
			}
			if !allIn(last, models, others, model.StateAvailable) {
				t.Fatalf("another region moved during Australia's stall: %v", last)
			}
			if done(last) {
				return time.Since(from)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("australia never became %s within %v: %v", what, within, last)
		return 0
	}

	stall := stallFor(t)
	start := time.Now()
	w.vendor.Stall("AU")
	var firstDown time.Duration
	allDown := watch("down or degraded", start, 40*time.Second, func(m map[string]model.TargetStatus) bool {
		n := 0
		for _, mo := range models {
			if failing(m[mo+"/australia"].State) {
				n++
			}
		}
		if n > 0 && firstDown == 0 {
			firstDown = time.Since(start)
		}
		return n == len(models)
	})
	t.Logf("stall start -> australia down/degraded: first model %v, all %d models %v (target 25s; 1s schedule, 10s timeout, fail_after 2)",
		firstDown.Round(time.Millisecond), len(models), allDown.Round(time.Millisecond))
	if allDown > 25*time.Second {
		t.Errorf("australia down/degraded %v after the stall began; the figure is 25s", allDown)
	}
	if rest := stall - time.Since(start); rest > 0 {
		// Still stalled until the end: Australia stays failing, the others available.
		watch("still failing", time.Now(), rest+time.Second, func(m map[string]model.TargetStatus) bool {
			for _, mo := range models {
				if !failing(m[mo+"/australia"].State) {
					t.Fatalf("%s/australia left %s while still stalled: %+v", mo, "down/degraded", m[mo+"/australia"])
				}
			}
			return time.Since(start) >= stall
		})
	}
	end := time.Now()
	w.vendor.Unstall("AU")
	back := watch("available", end, 30*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, models, []string{"australia"}, model.StateAvailable)
	})
	t.Logf("stall of %v; stall end -> australia available: %v (target 15s; recover_after 2)", stall, back.Round(time.Millisecond))
	if back > 15*time.Second {
		t.Errorf("australia available %v after the stall ended; the figure is 15s", back)
	}

	// Each stalled request is one timeout result of about the timeout's length, and /metrics
	// counts each once.
	text := run.text(t, "/metrics")
	mu.Lock()
	got := slices.Clone(timeouts)
	mu.Unlock()
	lanes := map[string]int{}
	for _, r := range got {
		if r.Vantage != "au-sydney-1" {
			t.Errorf("timeout outside Australia: %s %s/%s", r.Vantage, r.Model, r.Check)
			continue
		}
		lanes[r.Model+"/"+r.Check]++
		if d := r.EndedAt.Sub(r.Time); d < 9500*time.Millisecond || d > 12*time.Second {
			t.Errorf("timeout %s/%s lasted %v (time %v, ended_at %v), want the 10s timeout", r.Model, r.Check, d, r.Time, r.EndedAt)
		}
	}
	maxPerLane := int(stall/(10*time.Second)) + 1
	for _, mo := range models {
		for _, c := range []string{model.CheckModels, model.CheckGenerate} {
			if n := lanes[mo+"/"+c]; n < 2 || n > maxPerLane {
				t.Errorf("%s/%s: %d timeout results in a %v stall, want 2..%d (one per 10s request)", mo, c, n, stall, maxPerLane)
			}
		}
	}
	counted := metricSum(text, "accesswatch_probe_results_total", `class="timeout"`)
	if counted < float64(len(got)) || counted > float64(len(got)) {
		t.Errorf("accesswatch_probe_results_total{class=timeout} = %v, results seen %d: a timeout counted other than once", counted, len(got))
	}
	t.Logf("%d timeout results in the stall (per lane %v); /metrics counts %v", len(got), lanes, counted)

	// The runs due behind the stalled requests were skipped and counted, Australia's only.
	au := metricSum(text, "accesswatch_probe_skipped_total", `vantage="au-sydney-1"`)
	elsewhere := metricSum(text, "accesswatch_probe_skipped_total") - au
	// Elsewhere a run may now and then outlast its second (jitter plus a slow handshake under
	// -race): those are counted too, but they are few.
	if au < 10 || elsewhere >= au/2 {
		t.Errorf("skipped runs: australia %v, elsewhere %v; want australia's stalled jobs counted, few elsewhere", au, elsewhere)
	}
	for _, c := range []string{model.CheckModels, model.CheckGenerate} {
		series := fmt.Sprintf(`accesswatch_probe_skipped_total{check="%s",provider="anthropic",vantage="au-sydney-1"}`, c)
		if !strings.Contains(text, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	t.Logf("skipped runs: australia %v (behind %d stalled jobs), the other four vantages %v", au, len(models)+1, elsewhere)

	// Nothing announced a revocation; the stall opened a fault event for Australia.
	var opened *delivery
	for _, d := range hook.deliveries() {
		if d.Kind == model.EventRevoked {
			t.Errorf("the stall announced a revocation: %+v", d)
		}
		if opened == nil && d.Phase == model.PhaseOpened && slices.Contains(d.Regions, "australia") {
			opened = &d
		}
	}
	if opened == nil || (opened.Kind != model.EventDegraded && opened.Kind != model.EventOutage) {
		t.Errorf("no degraded/outage event opened for australia: %s", describe(hook.deliveries()))
	} else {
		t.Logf("first event: %s %s %v after %v", opened.Kind, opened.Scope, opened.Regions, opened.At.Sub(start).Round(time.Millisecond))
	}

	// ended_at survives the store and the export.
	if err := run.svc.Store().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored, err := run.svc.Store().Query(context.Background(), store.Filter{Vantage: "au-sydney-1", Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 {
		t.Fatal("no stored result of au-sydney-1")
	}
	for _, r := range stored {
		if r.EndedAt.IsZero() || r.EndedAt.Before(r.Time) {
			t.Fatalf("stored %s %s/%s: time %v ended_at %v", r.ID, r.Model, r.Check, r.Time, r.EndedAt)
		}
	}
	resp, err := http.Get(run.base + "/api/v1/results/export?format=csv&vantage=au-sydney-1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("export: %d records, %v", len(recs), err)
	}
	col := slices.Index(recs[0], "ended_at")
	if col < 0 {
		t.Fatalf("export header lacks ended_at: %v", recs[0])
	}
	for _, rec := range recs[1:] {
		if rec[col] == "" {
			t.Fatalf("exported row without ended_at: %v", rec)
		}
	}
	mu.Lock()
	t.Logf("%d results in all; %d stored for au-sydney-1 checked for ended_at, %d exported", seen, len(stored), len(recs)-1)
	mu.Unlock()
}

// TestEndedAtThroughPush: an agent's results reach the collector's store with the end of
// their request (ended_at) intact, through the spool and the push wire.
func TestEndedAtThroughPush(t *testing.T) {
	models := []string{"claude-sonnet-4-5"}
	w := newWorld(t, models...)
	col := w.startMode(t, config.ModeCollector, "127.0.0.1:0", collectorYAML(models), "", nil)
	var mu sync.Mutex
	sent := map[string]model.Result{}
	w.startMode(t, config.ModeAgent, "127.0.0.1:0", agentYAML(col.svc.Addr(), models), "", func(rs []model.Result) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rs {
			sent[r.ID] = r
		}
	})
	var stored []model.Result
	waitFor(t, "agent results in the collector's store", 20*time.Second, func() bool {
		if err := col.svc.Store().Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		var err error
		stored, err = col.svc.Store().Query(context.Background(), store.Filter{Provider: "anthropic"})
		if err != nil {
			t.Fatal(err)
		}
		return len(stored) >= 4
	})
	mu.Lock()
	defer mu.Unlock()
	for _, r := range stored {
		want, ok := sent[r.ID]
		switch {
		case !ok:
			t.Errorf("stored %s was never produced by the agent", r.ID)
		case r.EndedAt.IsZero() || !r.EndedAt.Equal(want.EndedAt) || !r.Time.Equal(want.Time):
			t.Errorf("%s: stored time %v ended_at %v; the agent had %v and %v", r.ID, r.Time, r.EndedAt, want.Time, want.EndedAt)
		}
	}
	t.Logf("%d pushed results kept their ended_at", len(stored))
}
