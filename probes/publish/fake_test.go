package publish

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"github.com/accesswatch/accesswatch/internal/testkit"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

const testToken = "tok-SECRET-0123456789abcdef"

// collector is a fake collector that speaks push: it checks the request, decodes the gzipped
// batch, stores each result id once, and can be switched to failing answers or taken down.
type collector struct {
	addr  string
	light bool // benchmarks: decode ids only, keep no order

	mu         sync.Mutex
	srv        *httptest.Server
	mode       string          // "ok", "503", "401", "429", "portal" (200 with HTML)
	maxResults int             // > 0: 413 for larger batches
	huge       map[string]bool // 413 for any batch holding one of these
	poison     map[string]bool // 400 for any batch holding one of these
	refuse     map[string]bool // acknowledged as refused (push.Response.Refused), never stored
	loseAcks   int             // store the next batches, then drop the connection unanswered
	seen       map[string]int  // id → times stored-or-duplicate in acknowledged batches
	order      []string        // ids, first arrival order
	requests   int
	largest    int       // most results in an acknowledged batch
	lastSent   time.Time // sent_at of the last batch
	violations []string
}

func newCollector(t testing.TB) *collector {
	c := &collector{mode: "ok", seen: map[string]int{}, huge: map[string]bool{}, poison: map[string]bool{}, refuse: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addr = ln.Addr().String()
	c.start(ln)
	t.Cleanup(c.down)
	return c
}

func (c *collector) url() string { return "http://" + c.addr }

func (c *collector) start(ln net.Listener) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	srv.Listener = ln
	srv.Start()
	c.mu.Lock()
	c.srv = srv
	c.mu.Unlock()
}

// down closes the listener: connections are refused until up.
func (c *collector) down() {
	c.mu.Lock()
	srv := c.srv
	c.srv = nil
	c.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (c *collector) up(t testing.TB) {
	var ln net.Listener
	var err error
	for range 50 { // the port was just ours; rebinding it may need a moment
		if ln, err = net.Listen("tcp", c.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("relisten %s: %v", c.addr, err)
	}
	c.start(ln)
}

func (c *collector) set(mode string) {
	c.mu.Lock()
	c.mode = mode
	c.mu.Unlock()
}

func (c *collector) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(push.Error{Error: msg})
}

func (c *collector) violate(format string, args ...any) {
	c.mu.Lock()
	c.violations = append(c.violations, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.requests++
	mode := c.mode
	c.mu.Unlock()
	switch mode {
	case "503":
		c.fail(w, http.StatusServiceUnavailable, "store unavailable")
		return
	case "401": // a careless collector that echoes what it got
		c.fail(w, http.StatusUnauthorized, "unknown token "+r.Header.Get("Authorization"))
		return
	case "429":
		w.Header().Set("Retry-After", "0")
		c.fail(w, http.StatusTooManyRequests, "slow down")
		return
	case "portal":
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html>Welcome to the hotel wifi</html>")
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != push.Path {
		c.violate("%s %s", r.Method, r.URL.Path)
	}
	h := r.Header
	if h.Get("Authorization") != "Bearer "+testToken || h.Get("Content-Type") != "application/json" ||
		h.Get("Content-Encoding") != "gzip" || h.Get(push.HeaderAgent) != "agent-1" {
		c.violate("headers %v", h)
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		c.violate("gzip: %v", err)
		c.fail(w, http.StatusBadRequest, "bad gzip")
		return
	}
	var ids []string
	var sentAt time.Time
	if c.light {
		var b struct {
			SentAt  time.Time `json:"sent_at"`
			Results []struct {
				ID string `json:"id"`
			} `json:"results"`
		}
		err = json.NewDecoder(zr).Decode(&b)
		for _, x := range b.Results {
			ids = append(ids, x.ID)
		}
		sentAt = b.SentAt
	} else {
		var b push.Batch
		dec := json.NewDecoder(zr)
		dec.DisallowUnknownFields()
		err = dec.Decode(&b)
		for _, x := range b.Results {
			ids = append(ids, x.ID)
		}
		if b.Agent != "agent-1" {
			c.violate("batch agent %q", b.Agent)
		}
		sentAt = b.SentAt
	}
	if err != nil {
		c.violate("decode: %v", err)
		c.fail(w, http.StatusBadRequest, "bad json")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.maxResults > 0 && len(ids) > c.maxResults {
		c.fail(w, http.StatusRequestEntityTooLarge, "too many results")
		return
	}
	for _, id := range ids {
		if c.huge[id] {
			c.fail(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		if c.poison[id] {
			c.fail(w, http.StatusBadRequest, "result "+id+": bad schema")
			return
		}
	}
	var resp push.Response
	for _, id := range ids {
		if c.refuse[id] {
			if resp.Refused == 0 {
				resp.Refusal = "results[?].model: not watched"
			}
			resp.Refused++
			continue
		}
		if c.seen[id] == 0 {
			resp.Accepted++
			if !c.light {
				c.order = append(c.order, id)
			}
		} else {
			resp.Duplicates++
		}
		c.seen[id]++
	}
	c.largest = max(c.largest, len(ids))
	c.lastSent = sentAt
	if c.loseAcks > 0 {
		c.loseAcks--
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	resp.ClockOffsetMs = 1234.5
	json.NewEncoder(w).Encode(resp)
}

// stored returns the ids stored, in first-arrival order, and the ids received more than once.
func (c *collector) stored() (order []string, dups []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, n := range c.seen {
		if n > 1 {
			dups = append(dups, id)
		}
	}
	return append([]string(nil), c.order...), dups
}

// reset forgets what was stored.
func (c *collector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen, c.order, c.requests, c.largest = map[string]int{}, nil, 0, 0
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

func (c *collector) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.violations {
		t.Errorf("protocol violation: %s", v)
	}
}

// results makes n realistic results numbered from first; their ids sort in that order.
func results(first, n int) []model.Result {
	rs := make([]model.Result, n)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range rs {
		k := first + i
		at := t0.Add(time.Duration(k) * time.Second)
		rs[i] = model.Result{
			ID: fmt.Sprintf("%016x%016x", at.UnixNano(), k), SchemaVersion: model.SchemaVersion,
			Time: at, ScheduledAt: at.Add(-time.Millisecond),
			Vantage: "in-mumbai-1", Region: "in", Country: "IN", Provider: "anthropic", Kind: "anthropic",
			Model: "claude-sonnet-4-5", Check: model.CheckModels, Method: "GET",
			URL: "https://api.anthropic.com/v1/models", HTTPStatus: 403,
			Classification: model.Classification{Layer: model.LayerAPI, Class: model.ClassGeoBlocked,
				Access: model.AccessRevoked, Signature: "anthropic/403/forbidden/request not allowed", Rule: "anthropic-geo"},
			Timings:  model.Timings{DNSMs: 1.5, ConnectMs: 12.25, TLSMs: 20.5, FirstByteMs: 180.75, TotalMs: 181},
			RemoteIP: "160.79.104.10", TLSVersion: "TLS1.3", CertSHA256: strings.Repeat("ab", 32),
			RequestID: fmt.Sprintf("req_%024d", k), EdgeColo: "BOM",
			Excerpt:  `{"type":"error","error":{"type":"forbidden","message":"Request not allowed"}}`,
			EgressIP: "203.0.113.7", EgressASN: 64500,
		}
	}
	return rs
}

func ids(rs []model.Result) []string {
	out := make([]string, len(rs))
	for i := range rs {
		out[i] = rs[i].ID
	}
	return out
}

// options for tests: short intervals, a captured log that must never hold the token.
func options(t testing.TB, url, dir string) (Options, *testkit.Buffer) {
	logs := &testkit.Buffer{}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), "SECRET") {
			t.Errorf("the token reached the log:\n%s", logs)
		}
	})
	return Options{
		URL: url, Agent: "agent-1", Token: testToken, SpoolDir: dir,
		BatchSize: 50, FlushInterval: 5 * time.Millisecond,
		SpoolMaxAge: 100 * 365 * 24 * time.Hour, // results() are dated 2026-03-01; expiry has its own test
		Backoff:     2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, FinalTimeout: time.Second,
		Client: &http.Client{Timeout: 2 * time.Second},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, logs
}

func open(t testing.TB, o Options) *Publisher {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs p until the returned stop is called (or the test ends); stop returns once Run has.
func start(t testing.TB, p *Publisher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(func() { stop(); p.Close() })
	return stop
}

// waitFor polls cond for at most 5 s (benchmarks: 60 s).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	limit := 5 * time.Second
	if _, ok := t.(*testing.B); ok {
		limit = time.Minute
	}
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitProgress polls until progress() reaches want. It fails when progress() stands still for 5 s
// or after 2 minutes in all: a slow run (-race, a loaded machine) passes while it advances.
func waitProgress(t testing.TB, what string, progress func() int, want int) {
	t.Helper()
	const still, limit = 5 * time.Second, 2 * time.Minute
	deadline := time.Now().Add(limit)
	last, lastAt := progress(), time.Now()
	for last < want {
		now := time.Now()
		if now.After(deadline) {
			t.Fatalf("timed out waiting for %s: %d of %d after %v", what, last, want, limit)
		}
		if now.Sub(lastAt) > still {
			t.Fatalf("waiting for %s: stuck at %d of %d for %v", what, last, want, still)
		}
		time.Sleep(time.Millisecond)
		if n := progress(); n != last {
			last, lastAt = n, time.Now()
		}
	}
}

func sameOrder(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("stored %d results, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("result %d: stored %s, want %s (order broken)", i, got[i], want[i])
		}
	}
}
