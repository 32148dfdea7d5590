package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// collectorConfig is the smallest config a collector starts from, with extra YAML appended.
func collectorConfig(t *testing.T, extra string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	yml := "store: { path: \"" + filepath.Join(dir, "aw.db") + "\", batch_size: 1 }\n" +
		"collector: { agents: [ { id: a, tokens: [abcdefghijklmnopq] } ] }\n" +
		"vantages: [ { id: v1, region: eu, country: DE } ]\n" +
		"providers: [ { id: p, kind: anthropic, base_url: \"http://127.0.0.1:1/anthropic\", api_key: k, models: [m],\n" +
		"  checks: [ { kind: generate, schedule: \"@hourly\" } ] } ]\n" + extra
	cfg, err := config.Parse([]byte(yml), "c.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A start-up error is returned naming the setting that failed, not hidden behind a panic in
// the cleanup.
func TestStartupErrorsNameTheSetting(t *testing.T) {
	busy := mustListen(t)
	addr := busy.Addr().String()
	bad := filepath.Join(t.TempDir(), "corrupt.mmdb")
	if err := os.WriteFile(bad, []byte("this is not a MaxMind database at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, yml, want string }{
		{"port in use", "server: { listen: \"" + addr + "\" }\n", "server.listen " + addr + ": address already in use"},
		{"corrupt geoip", "geoip: { country_db: \"" + bad + "\" }\n", "geoip.country_db " + bad + ": not a MaxMind database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := collectorConfig(t, tc.yml)
			var (
				svc *Service
				err error
			)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("New panicked: %v", r)
					}
				}()
				svc, err = New(context.Background(), Options{Config: cfg, Mode: config.ModeCollector})
			}()
			if err == nil {
				svc.close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// /healthz answers 503 with a reason while the store's queue is full, and for a while after the
// store dropped a result.
func TestHealthzFailsWhileStoreDrops(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc, err := New(context.Background(), Options{Config: collectorConfig(t, ""), Mode: config.ModeCollector,
		Listener: mustListen(t), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close()
	h := svc.handler() // the store's Run is not started, so what Add queues stays queued
	health := func() (int, map[string]string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("healthz body %q: %v", rec.Body, err)
		}
		return rec.Code, body
	}
	if code, body := health(); code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("empty store: %d %v", code, body)
	}
	st := svc.Store()
	_, capacity := st.QueueLen()
	add := func(i int) {
		at := now.Add(time.Duration(i) * time.Second)
		st.Add(model.Result{ID: model.NewID(at), SchemaVersion: 1, Time: at, Vantage: "v", Region: "eu", Provider: "p",
			Model: "m", Check: model.CheckGenerate, Classification: model.Classification{Class: model.ClassOK}})
	}
	for i := range capacity {
		add(i)
	}
	if code, body := health(); code != http.StatusServiceUnavailable || body["status"] != "unavailable" || !strings.Contains(body["error"], "queue full") {
		t.Fatalf("full queue: %d %v", code, body)
	}
	add(capacity) // waits AddWait, then is dropped
	if st.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", st.Dropped())
	}
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, body := health(); code != http.StatusServiceUnavailable || !strings.Contains(body["error"], "dropped results recently") {
		t.Fatalf("after a drop: %d %v", code, body)
	}
	mu.Lock()
	now = now.Add(storeDropWindow + time.Second)
	mu.Unlock()
	if code, body := health(); code != http.StatusOK {
		t.Fatalf("long after the drop: %d %v", code, body)
	}
}

// Every timeout of the server is set, and an idle keep-alive connection is closed after
// IdleTimeout.
func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	svc, err := New(context.Background(), Options{Config: collectorConfig(t, ""), Mode: config.ModeCollector, Listener: mustListen(t)})
	if err != nil {
		t.Fatal(err)
	}
	if s := svc.srv; s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("timeouts: header %v read %v write %v idle %v", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
	svc.srv.IdleTimeout = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	conn, err := net.Dial("tcp", svc.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: aw\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatal("the server closed the connection after the request; want keep-alive")
	}
	// Idle now: the server must close it long before this deadline.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ne net.Error
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("idle keep-alive connection still open after 5s; IdleTimeout is 100ms")
		}
		t.Fatalf("read on idle connection: %v, want EOF", err)
	}
}

// The streaming export keeps writing past WriteTimeout as long as each write comes in time.
func TestStreamingWritesOutliveWriteTimeout(t *testing.T) {
	const chunks, pause, timeout = 5, 60 * time.Millisecond, 150 * time.Millisecond
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range chunks {
			if i > 0 {
				time.Sleep(pause)
			}
			io.WriteString(w, "chunk\n")
			w.(http.Flusher).Flush()
		}
	})
	for _, tc := range []struct {
		name string
		h    http.Handler
		full bool
	}{
		{"plain handler is cut", slow, false},
		{"streamingWrites", streamingWrites(slow, func() time.Duration { return timeout }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(tc.h)
			srv.Config.WriteTimeout = timeout
			srv.Start()
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			got := strings.Count(string(body), "chunk\n") == chunks && err == nil
			if got != tc.full {
				t.Fatalf("full body %v (err %v, %d bytes), want %v", got, err, len(body), tc.full)
			}
		})
	}
}
