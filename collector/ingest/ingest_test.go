package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

func TestPushHappyPath(t *testing.T) {
	for _, enc := range []string{"gzip", "identity", ""} {
		t.Run("encoding="+enc, func(t *testing.T) {
			e := newEnv(t, nil)
			rs := results(defaultVantageA, 3, 1, 2)
			rs[1].Vantage = "in-3"
			a := e.do(t, req{encoding: strp(enc), body: mustJSON(t, batchOf(agentA, rs))})
			got := a.response(t)
			want := push.Response{Accepted: 3, Duplicates: 0, ClockOffsetMs: sentOffsetMs}
			if got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			stored, err := e.st.Query(context.Background(), store.Filter{})
			if err != nil || len(stored) != 3 {
				t.Fatalf("stored %d results, %v; want 3", len(stored), err)
			}
			for _, r := range stored {
				if !r.ReceivedAt.Equal(base) {
					t.Errorf("%s: ReceivedAt = %v, want the collector's clock %v", r.ID, r.ReceivedAt, base)
				}
				i := slices.IndexFunc(rs, func(s model.Result) bool { return s.ID == r.ID })
				if i < 0 || !r.Time.Equal(rs[i].Time) {
					t.Errorf("%s: agent time not kept", r.ID)
				}
			}
			if got, want := e.freshIDs(agentA), idsOf(rs); !slices.Equal(got, want) {
				t.Errorf("OnFresh got %v, want %v in batch order", got, want)
			}
			st := e.h.Stats().Agents[agentA]
			if st.Batches != 1 || st.Accepted != 3 || st.Duplicates != 0 || !st.LastSeen.Equal(base) ||
				st.ClockOffset != sentOffsetMs*time.Millisecond {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func idsOf(rs []model.Result) []string {
	out := make([]string, len(rs))
	for i := range rs {
		out[i] = rs[i].ID
	}
	return out
}

func TestPushReplayIsIdempotent(t *testing.T) {
	e := newEnv(t, nil)
	first := results(defaultVantageA, 1, 2, 3)
	body := mustJSON(t, batchOf(agentA, first))
	for attempt, want := range []push.Response{
		{Accepted: 3, ClockOffsetMs: sentOffsetMs},
		{Duplicates: 3, ClockOffsetMs: sentOffsetMs},
		{Duplicates: 3, ClockOffsetMs: sentOffsetMs},
	} {
		if got := e.do(t, req{body: body}).response(t); got != want {
			t.Errorf("attempt %d: response = %+v, want %+v", attempt, got, want)
		}
	}
	// A batch overlapping the first: only the new results are stored and passed on.
	mixed := results(defaultVantageA, 2, 4, 3, 5, 4)
	if got := e.push(t, mixed); got.Accepted != 2 || got.Duplicates != 3 {
		t.Errorf("overlapping batch: %+v, want 2 accepted, 3 duplicates", got)
	}
	if n := e.count(t); n != 5 {
		t.Errorf("stored %d, want 5", n)
	}
	want := append(idsOf(first), mixed[1].ID, mixed[3].ID)
	if got := e.freshIDs(agentA); !slices.Equal(got, want) {
		t.Errorf("OnFresh got %v, want each result once, in order: %v", got, want)
	}
	if st := e.h.Stats().Agents[agentA]; st.Batches != 4 || st.Accepted != 5 || st.Duplicates != 9 {
		t.Errorf("stats = %+v, want 4 batches, 5 accepted, 9 duplicates", st)
	}
}

func TestPushOnFreshNeverConcurrentPerAgent(t *testing.T) {
	var inFlight, overlaps atomic.Int32
	var mu sync.Mutex
	got := map[string]int{}
	e := newEnv(t, func(o *Options) {
		o.OnFresh = func(agent string, rs []model.Result) {
			if inFlight.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(time.Millisecond) // widen the window a concurrent call would need
			mu.Lock()
			got[agent] += len(rs)
			mu.Unlock()
			inFlight.Add(-1)
		}
		o.Agents = []Agent{{ID: agentA, Tokens: []string{tokenA}}}
	})
	const clients, batches, size = 6, 4, 20
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for b := range batches {
				// Batches of different clients overlap by half: some fresh, some not.
				first := (c*batches + b) * size / 2
				rs := results(defaultVantageA, seq(first, first+size)...)
				if a := e.do(t, req{body: mustJSON(t, batchOf(agentA, rs))}); a.status != http.StatusOK {
					t.Errorf("status %d: %s", a.status, a.body)
				}
			}
		})
	}
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Errorf("OnFresh ran concurrently for one agent %d times", overlaps.Load())
	}
	if n := e.count(t); got[agentA] != int(n) {
		t.Errorf("OnFresh got %d results, the store holds %d", got[agentA], n)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestPushTokenRotation(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Agents[0].Tokens = []string{tokenA, tokenA2} // rotating: both accepted
	})
	for i, tok := range []string{tokenA, tokenA2} {
		a := e.do(t, req{token: tok, body: mustJSON(t, batchOf(agentA, results(defaultVantageA, i)))})
		if a.status != http.StatusOK {
			t.Errorf("token %d: status %d, want 200", i+1, a.status)
		}
	}
	// The old token is removed from the configuration.
	agents := testAgents()
	agents[0].Tokens = []string{tokenA2}
	if err := e.h.SetAgents(agents); err != nil {
		t.Fatal(err)
	}
	if a := e.do(t, req{token: tokenA, body: mustJSON(t, batchOf(agentA, results(defaultVantageA, 7)))}); a.status != http.StatusUnauthorized {
		t.Errorf("removed token: status %d, want 401", a.status)
	}
	if a := e.do(t, req{token: tokenA2, body: mustJSON(t, batchOf(agentA, results(defaultVantageA, 8)))}); a.status != http.StatusOK {
		t.Errorf("new token: status %d, want 200", a.status)
	}
	if st := e.h.Stats().Agents[agentA]; st.Batches != 3 {
		t.Errorf("batches = %d after the reload, want the 3 counted across it", st.Batches)
	}
	if err := e.h.SetAgents([]Agent{{ID: agentA}}); err == nil {
		t.Error("SetAgents accepted an agent without tokens")
	}
	if a := e.do(t, req{token: tokenA2, body: mustJSON(t, batchOf(agentA, results(defaultVantageA, 9)))}); a.status != http.StatusOK {
		t.Errorf("after a refused reload: status %d, want the previous agents still in force", a.status)
	}
}

func TestPushAuthentication(t *testing.T) {
	const challenge = `Bearer realm="accesswatch"`
	tests := []struct {
		name          string
		auth          string
		wantStatus    int
		wantMsg       string
		wantChallenge string
	}{
		{"no header", "", 401, "missing bearer token", challenge},
		{"basic scheme", "Basic bXVtYmFpOnNlY3JldA==", 401, "missing bearer token", challenge},
		{"empty bearer", "Bearer ", 401, "missing bearer token", challenge},
		{"unknown token", "Bearer nope", 401, "invalid bearer token", challenge + `, error="invalid_token"`},
		{"prefix of a token", "Bearer " + tokenA[:len(tokenA)-1], 401, "invalid bearer token", challenge + `, error="invalid_token"`},
		{"token with a suffix", "Bearer " + tokenA + "x", 401, "invalid bearer token", challenge + `, error="invalid_token"`},
		{"token in other case", "Bearer " + strings.ToUpper(tokenA), 401, "invalid bearer token", challenge + `, error="invalid_token"`},
		{"scheme in lower case", "bearer " + tokenA, 200, "", ""},
	}
	e := newEnv(t, nil)
	body := mustJSON(t, batchOf(agentA, results(defaultVantageA, 1)))
	unauthorized := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.do(t, req{auth: strp(tt.auth), body: body})
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", a.status, tt.wantStatus, a.body)
			}
			if got := a.header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if tt.wantStatus != 200 {
				unauthorized++
				if msg := a.errMsg(t); msg != tt.wantMsg {
					t.Errorf("error = %q, want %q", msg, tt.wantMsg)
				}
			}
		})
	}
	if got := e.h.Stats().Unauthorized; got != uint64(unauthorized) {
		t.Errorf("Stats.Unauthorized = %d, want %d", got, unauthorized)
	}
	if n := e.count(t); n != 1 {
		t.Errorf("stored %d, want only the authorised batch", n)
	}
	for _, secret := range []string{tokenA, tokenB, "nope", strings.ToUpper(tokenA)} {
		if strings.Contains(e.logText(), secret) {
			t.Errorf("a token reached the log: %s", e.logText())
		}
	}
}

func TestPushWrongAgent(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		header    string
		bodyAgent string
		wantMsg   string
	}{
		{"header names another agent", tokenA, agentB, agentA, `X-Accesswatch-Agent header "sydney" is not the agent of this token`},
		{"header missing", tokenA, "", agentA, `X-Accesswatch-Agent header "" is not the agent of this token`},
		{"another agent's token", tokenB, agentA, agentA, `X-Accesswatch-Agent header "mumbai" is not the agent of this token`},
		{"batch names another agent", tokenA, agentA, agentB, `agent "sydney" in the batch is not the agent of this token`},
		{"batch without agent", tokenA, agentA, "", `agent "" in the batch is not the agent of this token`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.do(t, req{token: tt.token, agentHdr: strp(tt.header),
				body: mustJSON(t, batchOf(tt.bodyAgent, results(defaultVantageA, 1)))})
			if a.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %s", a.status, a.body)
			}
			if msg := a.errMsg(t); msg != tt.wantMsg {
				t.Errorf("error = %q, want %q", msg, tt.wantMsg)
			}
			if n := e.count(t); n != 0 {
				t.Errorf("stored %d from a refused batch", n)
			}
			owner := agentA
			if tt.token == tokenB {
				owner = agentB
			}
			if got := e.h.Stats().Agents[owner].Rejected[ReasonForbidden]; got != 1 {
				t.Errorf("Rejected[forbidden] of %s = %d, want 1", owner, got)
			}
		})
	}
}

func TestNewRejectsBadAgents(t *testing.T) {
	sink := &memSink{}
	tests := []struct {
		name   string
		agents []Agent
		sink   Sink
		want   string
	}{
		{"nil sink", testAgents(), nil, "Sink is nil"},
		{"duplicate id", []Agent{{ID: "a", Tokens: []string{"t1"}}, {ID: "a", Tokens: []string{"t2"}}}, sink, `agent "a" is configured twice`},
		{"empty id", []Agent{{ID: "", Tokens: []string{"t1"}}}, sink, "empty or contains spaces"},
		{"id with a space", []Agent{{ID: "a b", Tokens: []string{"t1"}}}, sink, "empty or contains spaces"},
		{"no tokens", []Agent{{ID: "a"}}, sink, `agent "a" has 0 tokens`},
		{"three tokens", []Agent{{ID: "a", Tokens: []string{"t1", "t2", "t3"}}}, sink, `agent "a" has 3 tokens`},
		{"empty token", []Agent{{ID: "a", Tokens: []string{"t1", ""}}}, sink, `agent "a": token 2 is empty`},
		{"blank token", []Agent{{ID: "a", Tokens: []string{"  "}}}, sink, `agent "a": token 1 is empty`},
		{"shared token", []Agent{{ID: "a", Tokens: []string{"secret-1"}}, {ID: "b", Tokens: []string{"x", "secret-1"}}}, sink, `agents "a" and "b" share a token`},
		{"same token twice", []Agent{{ID: "a", Tokens: []string{"secret-1", "secret-1"}}}, sink, `agent "a" lists the same token twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{Agents: tt.agents, Sink: tt.sink})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret-1") {
				t.Errorf("the error shows a token: %v", err)
			}
		})
	}
}

func TestAuthTableMatch(t *testing.T) {
	table, err := newAuthTable([]Agent{
		{ID: "first", Tokens: []string{"tok-first"}},
		{ID: "middle", Tokens: []string{"tok-middle-old", "tok-middle-new"}},
		{ID: "last", Tokens: []string{"tok-last"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ token, want string }{
		{"tok-first", "first"},
		{"tok-middle-old", "middle"},
		{"tok-middle-new", "middle"},
		{"tok-last", "last"}, // the last entry compared still wins over the earlier misses
		{"tok-las", ""},
		{"tok-lastt", ""},
		{"", ""},
		{"\x00", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.token), func(t *testing.T) {
			a, ok := table.match(tt.token)
			switch {
			case tt.want == "" && ok:
				t.Errorf("matched agent %q, want no match", a.id)
			case tt.want != "" && (!ok || a.id != tt.want):
				t.Errorf("match = %v, %v; want %q", a, ok, tt.want)
			}
		})
	}
}

// memSink is an in-memory Sink that can be told to fail.
type memSink struct {
	mu    sync.Mutex
	ids   map[string]bool
	err   error
	calls int
}

func (m *memSink) Insert(_ context.Context, rs []model.Result) ([]model.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return nil, m.err
	}
	if m.ids == nil {
		m.ids = make(map[string]bool)
	}
	var fresh []model.Result
	for _, r := range rs {
		if !m.ids[r.ID] {
			m.ids[r.ID] = true
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

func TestPushSinkErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantReason Reason
		wantMsg    string
	}{
		{"store down", errors.New("disk I/O error"), 503, ReasonStore, "store unavailable, retry later: disk I/O error"},
		{"invalid for the store", fmt.Errorf("%w 0: zero time", store.ErrInvalid), 400, ReasonBadRequest, "invalid result 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &memSink{err: tt.err}
			called := false
			e := newEnv(t, func(o *Options) {
				o.Sink = sink
				o.OnFresh = func(string, []model.Result) { called = true }
			})
			a := e.do(t, req{body: mustJSON(t, batchOf(agentA, results(defaultVantageA, 1)))})
			if a.status != tt.wantStatus || !strings.Contains(a.errMsg(t), tt.wantMsg) {
				t.Errorf("answer %d %q, want %d containing %q", a.status, a.errMsg(t), tt.wantStatus, tt.wantMsg)
			}
			if called {
				t.Error("OnFresh called after a failed insert")
			}
			st := e.h.Stats().Agents[agentA]
			if st.Rejected[tt.wantReason] != 1 || st.Batches != 0 {
				t.Errorf("stats = %+v, want one %s rejection and no batch", st, tt.wantReason)
			}
		})
	}
}

func TestPushEmptyBatch(t *testing.T) {
	sink := &memSink{}
	e := newEnv(t, func(o *Options) { o.Sink = sink })
	for _, body := range []string{
		`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58.5Z","results":[]}`,
		`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58.5Z","results":null}`,
		`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58.5Z"}`,
	} {
		got := e.do(t, req{body: []byte(body)}).response(t)
		if want := (push.Response{ClockOffsetMs: sentOffsetMs}); got != want {
			t.Errorf("%s: response %+v, want %+v", body, got, want)
		}
	}
	if sink.calls != 0 {
		t.Errorf("the sink was called %d times for empty batches", sink.calls)
	}
	if st := e.h.Stats().Agents[agentA]; st.Batches != 3 || st.ClockOffset != sentOffsetMs*time.Millisecond {
		t.Errorf("stats = %+v: an empty batch still reports the clock offset", st)
	}
}

func TestStatsListsConfiguredAgentsWithEveryReason(t *testing.T) {
	e := newEnv(t, nil)
	s := e.h.Stats()
	if len(s.Agents) != 2 {
		t.Fatalf("Stats has %d agents, want 2", len(s.Agents))
	}
	for id, a := range s.Agents {
		if len(a.Rejected) != len(Reasons()) {
			t.Errorf("%s: %d reasons, want all %d pre-created", id, len(a.Rejected), len(Reasons()))
		}
	}
	if err := e.h.SetAgents(testAgents()[:1]); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.h.Stats().Agents[agentB]; ok {
		t.Error("Stats still lists an agent removed from the configuration")
	}
	s.Agents[agentA].Rejected[ReasonStore] = 99 // a snapshot: changing it changes nothing
	if got := e.h.Stats().Agents[agentA].Rejected[ReasonStore]; got != 0 {
		t.Errorf("Stats shares its maps with the handler")
	}
}
