package runner

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/probes/schedule"
)

// Every check but a models list is one target per model; a models list is one target for
// all its models; each vantage has one control target. Keys are unique.
func TestTargetsOnePerModel(t *testing.T) {
	r, _ := fixture(t, twoVantages)
	keys := map[string]bool{}
	perCheck := map[string][]string{}
	for _, tg := range r.Targets("", "") {
		if keys[tg.Key()] {
			t.Errorf("key %s repeated", tg.Key())
		}
		keys[tg.Key()] = true
		k := tg.Vantage.ID + "/" + tg.Provider.ID + "/" + tg.Check.Kind
		perCheck[k] = append(perCheck[k], strings.Join(tg.Models, ","))
	}
	want := map[string][]string{
		"in-1/anthropic/models":   {"claude-fable-5,claude-sonnet-4-5"},
		"in-1/anthropic/generate": {"claude-fable-5", "claude-sonnet-4-5"},
		"in-1/openai/model":       {"gpt-5.1"},
		"in-1//control":           {""},
	}
	for k, w := range want {
		if got := perCheck[k]; !slices.Equal(got, w) {
			t.Errorf("%s: targets for %q, want %q", k, got, w)
		}
	}
	if len(keys) != 10 {
		t.Errorf("%d targets, want 10", len(keys))
	}
}

// stallVendor is an Anthropic-shaped vendor whose get of stalled models never answers (the
// caller's timeout ends it) and whose list shows listed.
func stallVendor(t *testing.T, listed []string, stalled ...string) string {
	return fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		if r.URL.Path == "/v1/models" {
			var items []string
			for _, m := range listed {
				items = append(items, fmt.Sprintf(`{"type":"model","id":%q,"display_name":"M","created_at":"2025-01-01T00:00:00Z"}`, m))
			}
			fmt.Fprintf(w, `{"data":[%s],"has_more":false,"first_id":null,"last_id":null}`, strings.Join(items, ","))
			return
		}
		m := strings.TrimPrefix(r.URL.Path, "/v1/models/")
		if slices.Contains(stalled, m) {
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		fmt.Fprintf(w, `{"type":"model","id":%q,"display_name":"M","created_at":"2025-01-01T00:00:00Z"}`, m)
	})
}

type arrival struct {
	at  time.Time
	res model.Result
}

// One stalled model holds up only its own job: the other models' results reach the sink as
// their requests end, every second; the stalled request is one timeout result, dated from its
// start (Time) to its timeout (EndedAt); the runs due meanwhile are skipped and counted.
func TestScheduledResultsArriveAsTheirRequestsEnd(t *testing.T) {
	base := stallVendor(t, nil, "claude-slow")
	cfg := strings.NewReplacer("timeout: 5s", "timeout: 2s", `kind: models, schedule: "@every 60s"`, `kind: model, schedule: "@every 1s"`).
		Replace(oneVantage("anthropic", base, "claude-a, claude-slow, claude-b", ""))
	r := runnerFor(t, cfg, nil)
	var mu sync.Mutex
	var got []arrival
	skips := map[string]int{}
	s := schedule.New(schedule.Options{Concurrency: r.Concurrency(), OnSkip: func(j schedule.Job) {
		mu.Lock()
		skips[j.Key]++
		mu.Unlock()
	}})
	targets := r.Targets("p", "")
	if len(targets) != 3 {
		t.Fatalf("%d targets, want 3 (one per model)", len(targets))
	}
	err := r.Schedule(s, targets, func(rs []model.Result) {
		now := time.Now()
		mu.Lock()
		for _, res := range rs {
			got = append(got, arrival{now, res})
		}
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s.Start()
	time.Sleep(2600 * time.Millisecond)
	stopAt := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	byModel := map[string][]arrival{}
	for _, a := range got {
		if a.at.After(stopAt) {
			continue // a run still in flight when we stopped
		}
		byModel[a.res.Model] = append(byModel[a.res.Model], a)
		if a.res.EndedAt.IsZero() || a.res.EndedAt.Before(a.res.Time) {
			t.Errorf("%s: time %v ended_at %v, want an end at or after the start", a.res.Model, a.res.Time, a.res.EndedAt)
		}
	}
	for _, m := range []string{"claude-a", "claude-b"} {
		as := byModel[m]
		if len(as) < 2 {
			t.Fatalf("%s: %d results in 2.6s, want one per second while claude-slow stalls", m, len(as))
		}
		if d := as[0].at.Sub(start); d > time.Second {
			t.Errorf("%s: first result reached the sink %v after start, want well before claude-slow's 2s timeout", m, d)
		}
		if as[0].res.Class != model.ClassOK {
			t.Errorf("%s: %+v", m, as[0].res.Classification)
		}
	}
	slow := byModel["claude-slow"]
	if len(slow) != 1 {
		t.Fatalf("claude-slow: %d results, want exactly one timeout", len(slow))
	}
	res := slow[0].res
	if res.Class != model.ClassTimeout || res.Failure != "generic_timeout_error" {
		t.Errorf("claude-slow: %+v, want one timeout", res.Classification)
	}
	if d := res.EndedAt.Sub(res.Time); d < 1900*time.Millisecond || d > 3*time.Second {
		t.Errorf("claude-slow: ended_at − time = %v, want the 2s timeout", d)
	}
	var slowKey string
	for _, tg := range targets {
		if tg.Models[0] == "claude-slow" {
			slowKey = tg.Key()
		}
	}
	if skips[slowKey] < 1 {
		t.Errorf("skips %v, want claude-slow's job skipped while it stalled", skips)
	}
	for k, n := range skips {
		if k != slowKey {
			t.Errorf("job %s skipped %d runs; only the stalled one should be", k, n)
		}
	}
	t.Logf("fast models' first results after %v; stalled model's timeout after %v; skipped %v",
		byModel["claude-a"][0].at.Sub(start).Round(time.Millisecond), slow[0].at.Sub(start).Round(time.Millisecond), skips)
}

// A models list hands on what it decided as soon as it is read; a model it leaves out follows
// on its own when its confirming get ends (here: times out).
func TestModelsListEmitsBeforeConfirmations(t *testing.T) {
	base := stallVendor(t, []string{"claude-a-20250101", "claude-b-20250101"}, "claude-gone")
	r := runnerFor(t, strings.Replace(oneVantage("anthropic", base, "claude-a, claude-gone, claude-b", ""), "timeout: 5s", "timeout: 1s", 1), nil)
	tg := r.Targets("p", "")[0]
	var calls [][]string
	var ats []time.Time
	start := time.Now()
	r.ProbeEach(context.Background(), tg, start, func(rs []model.Result) {
		var ms []string
		for _, res := range rs {
			ms = append(ms, res.Model+":"+string(res.Class))
			if res.EndedAt.IsZero() {
				t.Errorf("%s: no ended_at", res.Model)
			}
		}
		calls = append(calls, ms)
		ats = append(ats, time.Now())
	})
	want := [][]string{{"claude-a:ok", "claude-b:ok"}, {"claude-gone:timeout"}}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("emitted %v, want %v", calls, want)
	}
	if d := ats[0].Sub(start); d > 500*time.Millisecond {
		t.Errorf("listed models emitted %v after start, want before the confirming get's 1s timeout", d)
	}
}
