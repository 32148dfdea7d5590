package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/geo"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// result i is i minutes before now; ids sort like model.NewID's.
func result(i int, provider, region string, class model.Class) model.Result {
	tm := now.Add(-time.Duration(i) * time.Minute)
	return model.Result{
		ID: fmt.Sprintf("%016x%016x", tm.UnixNano(), i), SchemaVersion: model.SchemaVersion,
		Time: tm, ReceivedAt: tm.Add(time.Second),
		Vantage: region + "-1", Region: region, Country: strings.ToUpper(region),
		Provider: provider, Kind: provider, Model: provider + "-m", Check: model.CheckGenerate,
		Method: "POST", URL: "https://api.example.test/v1", HTTPStatus: 200,
		Classification: model.Classification{Layer: model.LayerAPI, Class: class,
			Access: model.AccessOf(class), Signature: provider + "/" + string(class)},
		Timings: model.Timings{TotalMs: float64(10 + i)},
	}
}

// dataset: 6 results, newest first.
func dataset() []model.Result {
	return []model.Result{
		result(0, "anthropic", "in", model.ClassGeoBlocked),
		result(1, "openai", "in", model.ClassOK),
		result(2, "anthropic", "au", model.ClassOK),
		result(3, "openai", "de", model.ClassRateLimited),
		result(20, "anthropic", "in", model.ClassOK),
		result(90, "openai", "us", model.ClassOK),
	}
}

type env struct {
	srv   *httptest.Server
	store *store.Store
}

// newEnv serves the API over a real store and real geo databases on 127.0.0.1.
func newEnv(t *testing.T, mutate func(*Options)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(dir, "r.db"),
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Write(context.Background(), dataset()); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertEvents(context.Background(), eventDataset()); err != nil {
		t.Fatal(err)
	}
	countryPath, asnPath := filepath.Join(dir, "c.mmdb"), filepath.Join(dir, "a.mmdb")
	if err := geo.WriteDBs(countryPath, asnPath, geo.LoopbackMappings()); err != nil {
		t.Fatal(err)
	}
	gdb, err := geo.Open(countryPath, asnPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gdb.Close() })
	o := Options{Store: st, Status: StatusFunc(statusDataset), Events: st, Geo: gdb,
		Now: func() time.Time { return now }}
	if mutate != nil {
		mutate(&o)
	}
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	return &env{srv: srv, store: st}
}

// clientFrom returns a client whose connections come from the loopback address local.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(t *testing.T, c *http.Client, method, path string, hdr http.Header) response {
	t.Helper()
	if c == nil {
		c = clientFrom("127.0.0.1")
	}
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); method != http.MethodHead && ct != "application/json" {
		t.Errorf("%s %s: Content-Type = %q, want application/json", method, path, ct)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// wantJSON compares a body with want after both are normalised.
func wantJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("body = %s\nwant   %s", gb, wb)
	}
}

func TestHealthz(t *testing.T) {
	tests := []struct {
		name       string
		ready      func() error
		wantStatus int
		wantBody   string
	}{
		{"no readiness check", nil, 200, `{"status":"ok"}`},
		{"ready", func() error { return nil }, 200, `{"status":"ok"}`},
		{"not ready", func() error { return errors.New("store: migrating") }, 503,
			`{"status":"unavailable","error":"store: migrating"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.Ready = tt.ready })
			r := e.do(t, nil, "GET", "/healthz", nil)
			if r.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", r.status, tt.wantStatus)
			}
			wantJSON(t, r.body, tt.wantBody)
		})
	}
}

func TestWhoami(t *testing.T) {
	xff := http.Header{"X-Forwarded-For": {"127.0.3.1"}}
	tests := []struct {
		name     string
		from     string
		hdr      http.Header
		mutate   func(*Options)
		wantBody string
	}{
		{"australia", "127.0.2.1", nil, nil, `{"ip":"127.0.2.1","country":"AU","asn":64501,"as_org":"Demo Vantage Australia"}`},
		{"india", "127.0.1.1", nil, nil, `{"ip":"127.0.1.1","country":"IN","asn":64500,"as_org":"Demo Vantage India"}`},
		{"unmapped", "127.0.0.1", nil, nil, `{"ip":"127.0.0.1","country":""}`},
		{"forwarded-for ignored by default", "127.0.2.1", xff, nil,
			`{"ip":"127.0.2.1","country":"AU","asn":64501,"as_org":"Demo Vantage Australia"}`},
		{"forwarded-for from a trusted proxy", "127.0.2.1", xff,
			func(o *Options) { o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.2.0/24")} },
			`{"ip":"127.0.3.1","country":"DE","asn":64502,"as_org":"Demo Vantage Germany"}`},
		{"no geo database", "127.0.2.1", nil, func(o *Options) { o.Geo = nil }, `{"ip":"127.0.2.1","country":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.mutate)
			r := e.do(t, clientFrom(tt.from), "GET", "/api/v1/whoami", tt.hdr)
			if r.status != 200 {
				t.Errorf("status = %d, want 200", r.status)
			}
			wantJSON(t, r.body, tt.wantBody)
		})
	}
}

type failingGeo struct{}

func (failingGeo) Lookup(netip.Addr) (geo.Info, error) { return geo.Info{}, errors.New("corrupt db") }

func TestWhoamiGeoFailure(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Geo = failingGeo{} })
	r := e.do(t, nil, "GET", "/api/v1/whoami", nil)
	if r.status != 500 {
		t.Errorf("status = %d, want 500", r.status)
	}
	wantJSON(t, r.body, `{"error":"geo lookup failed"}`)
}

func TestRoutingErrors(t *testing.T) {
	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string
	}{
		{"GET", "/nope", 404, `{"error":"no route for /nope"}`},
		{"GET", "/api/v1/results/extra", 404, `{"error":"no route for /api/v1/results/extra"}`},
		{"POST", "/api/v1/results", 405, `{"error":"method POST not allowed; use GET"}`},
		{"DELETE", "/healthz", 405, `{"error":"method DELETE not allowed; use GET"}`},
		{"PUT", "/api/v1/whoami", 405, `{"error":"method PUT not allowed; use GET"}`},
		{"POST", "/api/v1/status", 405, `{"error":"method POST not allowed; use GET"}`},
		{"DELETE", "/api/v1/events", 405, `{"error":"method DELETE not allowed; use GET"}`},
		{"GET", "/api/v1/events/e1", 404, `{"error":"no route for /api/v1/events/e1"}`},
	}
	e := newEnv(t, nil)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(t, nil, tt.method, tt.path, nil)
			if r.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", r.status, tt.wantStatus)
			}
			wantJSON(t, r.body, tt.wantBody)
			if tt.wantStatus == 405 && r.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q, want %q", r.header.Get("Allow"), "GET, HEAD")
			}
		})
	}
}

func TestHeadIsAllowed(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do(t, nil, "HEAD", "/healthz", nil); r.status != 200 {
		t.Errorf("HEAD /healthz status = %d, want 200", r.status)
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	testkit.Golden(t, path, got)
}
