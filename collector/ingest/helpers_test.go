package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// base is the collector's fixed clock in tests.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	agentA, tokenA  = "mumbai", "token-mumbai-0123456789"
	tokenA2         = "token-mumbai-rotated-abcdef"
	agentB, tokenB  = "sydney", "token-sydney-0123456789"
	sentOffsetMs    = 1500 // batches are sent this long before base
	defaultVantageA = "in-1"
)

func testAgents() []Agent {
	return []Agent{
		{ID: agentA, Tokens: []string{tokenA}, Vantages: []string{"in-1", "in-3"}},
		{ID: agentB, Tokens: []string{tokenB}}, // any vantage
	}
}

// testVantages are the collector's configured vantages: region "in" (country IN) for in-1…in-3,
// "au" (AU) for au-1.
func testVantages() []Vantage {
	return []Vantage{{"in-1", "in", "IN"}, {"in-2", "in", "IN"}, {"in-3", "in", "IN"}, {"au-1", "au", "AU"}}
}

// testWatch is the collector's watch list.
func testWatch() []Watched {
	return []Watched{{Provider: "anthropic", Models: []string{"claude-x", "claude-y"}}, {Provider: "openai", Models: []string{"gpt-x"}}}
}

// env is a handler over a real store in a temp dir, served on loopback.
type env struct {
	h     *Handler
	st    *store.Store
	srv   *httptest.Server
	logs  *bytes.Buffer
	mu    sync.Mutex
	fresh map[string][]string // OnFresh ids by agent, in call order
}

func newEnv(t *testing.T, mutate func(*Options)) *env {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{
		Path: filepath.Join(t.TempDir(), "results.db"),
		Now:  func() time.Time { return base },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := &env{st: st, logs: &bytes.Buffer{}, fresh: make(map[string][]string)}
	o := Options{
		Agents:   testAgents(),
		Sink:     st,
		Vantages: testVantages(),
		Watch:    testWatch(),
		OnFresh: func(agent string, rs []model.Result) {
			e.mu.Lock()
			defer e.mu.Unlock()
			for _, r := range rs {
				e.fresh[agent] = append(e.fresh[agent], r.ID)
			}
		},
		Now:    func() time.Time { return base },
		Logger: slog.New(slog.NewTextHandler(syncWriter{w: e.logs, mu: &e.mu}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mutate != nil {
		mutate(&o)
	}
	if e.h, err = New(o); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(push.Path, e.h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (e *env) freshIDs(agent string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.fresh[agent]...)
}

func (e *env) logText() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.logs.String()
}

func (e *env) count(t *testing.T) int64 {
	t.Helper()
	n, err := e.st.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// result returns a valid result i from vantage v, its id unique per i.
func result(i int, v string) model.Result {
	tm := base.Add(-time.Hour + time.Duration(i)*time.Second)
	return model.Result{
		ID: fmt.Sprintf("%016x%016x", tm.UnixNano(), i), SchemaVersion: model.SchemaVersion, Time: tm,
		Vantage: v, Region: "in", Country: "IN", Provider: "anthropic", Kind: "anthropic", Model: "claude-x",
		Check: model.CheckGenerate, Method: "POST", URL: "https://api.example.test/v1/messages", HTTPStatus: 403,
		Classification: model.Classification{Layer: model.LayerAPI, Class: model.ClassGeoBlocked,
			Access: model.AccessRevoked, Signature: "anthropic/403/forbidden_region"},
		Timings: model.Timings{TotalMs: 41.5},
	}
}

func results(v string, is ...int) []model.Result {
	out := make([]model.Result, len(is))
	for k, i := range is {
		out[k] = result(i, v)
	}
	return out
}

func batchOf(agent string, rs []model.Result) push.Batch {
	return push.Batch{Agent: agent, SentAt: base.Add(-sentOffsetMs * time.Millisecond), Results: rs}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// req describes a push request; zero fields take a valid default for agent A.
type req struct {
	method   string
	auth     *string // nil: "Bearer " + token
	token    string  // default tokenA
	agentHdr *string // nil: agentA
	ctype    *string // nil: application/json
	encoding *string // nil: gzip
	body     []byte  // raw (uncompressed unless encoding says otherwise and raw is set)
	raw      bool    // body is sent as is, not gzipped
	chunked  bool    // no Content-Length
}

func strp(s string) *string { return &s }

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) errMsg(t *testing.T) string {
	t.Helper()
	var e push.Error
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error == "" {
		t.Fatalf("answer %d is not a JSON push.Error: %q (%v)", a.status, a.body, err)
	}
	return e.Error
}

func (a answer) response(t *testing.T) push.Response {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", a.status, a.body)
	}
	var r push.Response
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("answer is not a push.Response: %q", a.body)
	}
	return r
}

func (e *env) do(t *testing.T, r req) answer {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	body := r.body
	enc := "gzip"
	if r.encoding != nil {
		enc = *r.encoding
	}
	if enc == "gzip" && !r.raw {
		body = gzipped(t, body)
	}
	var rd io.Reader = bytes.NewReader(body)
	if r.chunked {
		rd = io.MultiReader(rd) // hides the length: sent chunked
	}
	hr, err := http.NewRequest(method, e.srv.URL+push.Path, rd)
	if err != nil {
		t.Fatal(err)
	}
	token := r.token
	if token == "" {
		token = tokenA
	}
	auth := "Bearer " + token
	if r.auth != nil {
		auth = *r.auth
	}
	if auth != "" {
		hr.Header.Set("Authorization", auth)
	}
	agentHdr := agentA
	if r.agentHdr != nil {
		agentHdr = *r.agentHdr
	}
	if agentHdr != "" {
		hr.Header.Set(push.HeaderAgent, agentHdr)
	}
	ctype := "application/json"
	if r.ctype != nil {
		ctype = *r.ctype
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if enc != "" {
		hr.Header.Set("Content-Encoding", enc)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("answer Content-Type = %q, want application/json", ct)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// push posts a valid gzip batch of rs as agent A.
func (e *env) push(t *testing.T, rs []model.Result) push.Response {
	t.Helper()
	return e.do(t, req{body: mustJSON(t, batchOf(agentA, rs))}).response(t)
}

func jsonUnmarshalLoose(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

func newGzip(b []byte) (io.Reader, error) { return gzip.NewReader(bytes.NewReader(b)) }
