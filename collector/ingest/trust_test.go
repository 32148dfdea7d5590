package ingest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// TestPushIdentityComesFromTheCollector: a result whose vantage, region or country disagrees
// with the collector's configuration refuses the whole batch with 400 naming the field; an
// agent cannot fabricate a result in another country.
func TestPushIdentityComesFromTheCollector(t *testing.T) {
	edit := func(i int, v string, f func(*model.Result)) model.Result {
		r := result(i, v)
		f(&r)
		return r
	}
	tests := []struct {
		name    string
		token   string
		agent   string
		rs      []model.Result
		wantMsg string
	}{
		{"region of another vantage", tokenA, agentA,
			[]model.Result{result(0, "in-1"), result(1, "in-1"), result(2, "in-3"), edit(3, "in-1", func(r *model.Result) { r.Region = "us" })},
			`results[3].region: "us" is not vantage "in-1"'s region "in"`},
		{"country of another vantage", tokenA, agentA,
			[]model.Result{result(0, "in-1"), edit(1, "in-3", func(r *model.Result) { r.Country = "US" })},
			`results[1].country: "US" is not vantage "in-3"'s country "IN"`},
		{"a vantage the collector does not know", tokenB, agentB,
			[]model.Result{edit(0, "xx-9", func(*model.Result) {})},
			`results[0].vantage: "xx-9" is not a vantage in the collector's configuration`},
		{"another country's vantage, claimed as ours", tokenB, agentB,
			[]model.Result{result(0, "au-1")}, // region "in", country "IN" on an Australian vantage
			`results[0].region: "in" is not vantage "au-1"'s region "au"`},
		{"another country's vantage, country forged", tokenB, agentB,
			[]model.Result{edit(0, "au-1", func(r *model.Result) { r.Region = "au" })},
			`results[0].country: "IN" is not vantage "au-1"'s country "AU"`},
		{"a vantage of another agent", tokenA, agentA,
			[]model.Result{result(0, "au-1")},
			`results[0].vantage: "au-1" is not a vantage of agent "mumbai"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.do(t, req{token: tt.token, agentHdr: strp(tt.agent), body: mustJSON(t, batchOf(tt.agent, tt.rs))})
			if a.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", a.status, a.body)
			}
			if want := string(mustJSON(t, map[string]string{"error": tt.wantMsg})) + "\n"; string(a.body) != want {
				t.Errorf("answer\n  %s\nwant\n  %s", a.body, want)
			}
			if n := e.count(t); n != 0 {
				t.Errorf("stored %d results of a refused batch", n)
			}
			if len(e.freshIDs(tt.agent)) != 0 {
				t.Error("OnFresh called for a refused batch")
			}
			if got := e.h.Stats().Agents[tt.agent].Rejected[ReasonVantage]; got != 1 {
				t.Errorf("Rejected[vantage] = %d, want 1", got)
			}
		})
	}
}

// TestPushFillsInCountry: a result that leaves its country out gets its vantage's.
func TestPushFillsInCountry(t *testing.T) {
	e := newEnv(t, nil)
	r := result(0, "in-1")
	r.Country = ""
	if got := e.push(t, []model.Result{r}); got.Accepted != 1 {
		t.Fatalf("answer %+v", got)
	}
	stored, err := e.st.ResultsByID(context.Background(), []string{r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].Country != "IN" {
		t.Fatalf("stored %+v, want one result with country IN", stored)
	}
}

// TestPushRefusesWhatTheCollectorDoesNotWatch: results of unwatched providers, models or
// checks, and results dated outside [now − max age, now + clock skew], are refused one by one:
// the batch is answered 200 with their count and the first reason, the rest is stored, and a
// replay gets the same answer. The agent drops them, so one such result never wedges its
// spool; they are counted by reason, never by name.
func TestPushRefusesWhatTheCollectorDoesNotWatch(t *testing.T) {
	e := newEnv(t, nil)
	edit := func(i int, f func(*model.Result)) model.Result {
		r := result(i, "in-1")
		f(&r)
		return r
	}
	ended2262 := time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	rs := []model.Result{
		result(0, "in-1"),
		edit(1, func(r *model.Result) { r.Model = "claude-zzz" }),
		edit(2, func(r *model.Result) { r.Provider, r.Model = "evil", "claude-x" }),
		edit(3, func(r *model.Result) { r.Provider, r.Kind, r.Model, r.Check = "", "control", "", model.CheckControl }),
		edit(4, func(r *model.Result) { r.Time = base.Add(-25 * time.Hour) }),
		edit(5, func(r *model.Result) { r.Time = ended2262 }),
		edit(6, func(r *model.Result) { r.EndedAt = ended2262 }),
		edit(7, func(r *model.Result) { r.Check = model.CheckStatusPage }),
		edit(8, func(r *model.Result) { r.Check = "weird" }),
		edit(9, func(r *model.Result) { r.Check, r.Model = model.CheckControl, "" }),
		edit(10, func(r *model.Result) { r.Provider, r.Model = "openai", "gpt-x" }),
		edit(11, func(r *model.Result) { r.Model = "" }),
	}
	want := `{"accepted":3,"duplicates":0,"refused":9,"refusal":"results[1].model: \"claude-zzz\" is not a model the collector watches on \"anthropic\"","clock_offset_ms":1500}` + "\n"
	a := e.do(t, req{body: mustJSON(t, batchOf(agentA, rs))})
	if a.status != http.StatusOK || string(a.body) != want {
		t.Fatalf("answer %d\n  %s\nwant 200\n  %s", a.status, a.body, want)
	}
	if got, want := strings.Join(e.freshIDs(agentA), ","), strings.Join([]string{rs[0].ID, rs[3].ID, rs[10].ID}, ","); got != want {
		t.Errorf("OnFresh got %s, want %s", got, want)
	}
	if n := e.count(t); n != 3 {
		t.Errorf("stored %d results, want 3", n)
	}
	st := e.h.Stats().Agents[agentA]
	wantRefused := map[Refusal]uint64{RefusedProvider: 2, RefusedModel: 2, RefusedCheck: 2, RefusedTooOld: 1, RefusedFuture: 2}
	for _, r := range Refusals() {
		if st.Refused[r] != wantRefused[r] {
			t.Errorf("Refused[%s] = %d, want %d (all %v)", r, st.Refused[r], wantRefused[r], st.Refused)
		}
	}
	if st.Batches != 1 || st.Accepted != 3 || st.Rejected[ReasonBadRequest] != 0 {
		t.Errorf("stats %+v", st)
	}
	// A replay: the same refusals, the rest duplicates.
	wantReplay := strings.Replace(want, `"accepted":3,"duplicates":0`, `"accepted":0,"duplicates":3`, 1)
	if a := e.do(t, req{body: mustJSON(t, batchOf(agentA, rs))}); a.status != http.StatusOK || string(a.body) != wantReplay {
		t.Fatalf("replay answer %d\n  %s\nwant 200\n  %s", a.status, a.body, wantReplay)
	}
	if got := strings.Count(e.logText(), "ingest: results refused"); got != 1 {
		t.Errorf("%d log lines about refused results within a minute, want 1", got)
	}
	for _, name := range []string{"claude-zzz", "evil"} {
		if strings.Contains(e.logText(), "reason="+name) {
			t.Errorf("a refused name became a reason: %s", name)
		}
	}
}

// TestPushRefusalMessages pins the message of each refusal.
func TestPushRefusalMessages(t *testing.T) {
	edit := func(f func(*model.Result)) model.Result {
		r := result(0, "in-1")
		f(&r)
		return r
	}
	tests := []struct {
		r    model.Result
		want string
	}{
		{edit(func(r *model.Result) { r.Provider = "evil" }), `results[0].provider: "evil" is not a provider the collector watches`},
		{edit(func(r *model.Result) { r.Check = model.CheckStatusPage }), `results[0].check: "status_page" is not a check agents report`},
		{edit(func(r *model.Result) { r.Check = model.CheckControl }), `results[0].provider: a control result names no provider or model`},
		{edit(func(r *model.Result) { r.Time = base.Add(-24*time.Hour - time.Nanosecond) }),
			`results[0].time: 2026-02-28T11:59:59Z is more than 24h before the collector's clock (collector.max_result_age)`},
		{edit(func(r *model.Result) { r.Time = base.Add(5*time.Minute + time.Nanosecond) }),
			`results[0].time: 2026-03-01T12:05:00Z is more than 5m ahead of the collector's clock (collector.max_clock_skew)`},
		{edit(func(r *model.Result) { r.EndedAt = base.Add(time.Hour) }),
			`results[0].ended_at: 2026-03-01T13:00:00Z is more than 5m ahead of the collector's clock (collector.max_clock_skew)`},
	}
	for _, tt := range tests {
		e := newEnv(t, nil)
		got := e.push(t, []model.Result{tt.r})
		if got.Accepted != 0 || got.Refused != 1 || got.Refusal != tt.want {
			t.Errorf("answer %+v\nwant refusal %q", got, tt.want)
		}
	}
}

// TestPushTimeWindowEdges: [now − MaxAge, now + MaxSkew] is inclusive, and both bounds are
// the configured ones.
func TestPushTimeWindowEdges(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxAge, o.MaxSkew = time.Hour, 30*time.Second })
	at := func(i int, tm time.Time) model.Result {
		r := result(i, "in-1")
		r.Time = tm
		return r
	}
	rs := []model.Result{
		at(0, base.Add(-time.Hour)),
		at(1, base.Add(-time.Hour-time.Nanosecond)),
		at(2, base.Add(30*time.Second)),
		at(3, base.Add(30*time.Second+time.Nanosecond)),
	}
	got := e.push(t, rs)
	want := `results[1].time: 2026-03-01T10:59:59Z is more than 1h before the collector's clock (collector.max_result_age)`
	if got.Accepted != 2 || got.Refused != 2 || got.Refusal != want {
		t.Fatalf("answer %+v, want 2 accepted, 2 refused, first %q", got, want)
	}
	if ids := e.freshIDs(agentA); len(ids) != 2 || ids[0] != rs[0].ID || ids[1] != rs[2].ID {
		t.Errorf("stored %v, want results 0 and 2", ids)
	}
}

func TestNewRejectsBadTrust(t *testing.T) {
	for _, tc := range []struct {
		o    func(*Options)
		want string
	}{
		{func(o *Options) { o.Vantages = append(o.Vantages, Vantage{ID: "in-1", Region: "in"}) }, `ingest: vantage "in-1" is configured twice`},
		{func(o *Options) { o.Vantages = []Vantage{{ID: "x"}} }, `ingest: vantage "x" needs an id and a region`},
		{func(o *Options) { o.Watch = []Watched{{Models: []string{"m"}}} }, `ingest: a watched provider has no id`},
	} {
		o := Options{Agents: testAgents(), Sink: nopSink{}, Vantages: testVantages(), Watch: testWatch()}
		tc.o(&o)
		if _, err := New(o); err == nil || err.Error() != tc.want {
			t.Errorf("New: %v, want %q", err, tc.want)
		}
	}
}

type nopSink struct{}

func (nopSink) Insert(_ context.Context, rs []model.Result) ([]model.Result, error) { return rs, nil }
